@echo off
rem One command on Windows: build the pzh-station bundle (and with --installer the NSIS installer).
python "%~dp0build.py" %*
