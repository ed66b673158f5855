from pzh_station.cli.main import main

raise SystemExit(main())
