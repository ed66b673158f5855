"""Every limit the server enforces is refused at input on the desk first, with a Chinese message
at the field — one definition in the core (issue 12, situation 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from pzh_core import protocol
from pzh_core.domain import rules
from pzh_core.domain.errors import ValidationError
from pzh_core.domain.person import Person, validate_person
from pzh_core.domain.training import TrainingClass, validate_class
from pzh_station.services.station import StationProfile, StationService

LONG = "长" * (protocol.MAX_TEXT + 1)


def test_a_staff_name_the_server_would_refuse_is_refused_at_the_field(services):
    profile = StationService(services).profile()
    with pytest.raises(ValidationError) as err:
        StationService(services).save_profile(
            StationProfile(**{**profile.__dict__, "staff": ["李明", LONG]})
        )
    assert "过长" in err.value.errors["staff"]
    # Nothing was written: the staff list is as before.
    assert sorted(StationService(services).profile().staff) == ["李明", "王芳"]
    # The server's check of the same value says the same (one definition).
    code, errors = rules.check_change("staff", None, {"name": LONG}, today=dt.date.today())
    assert code == "too_long" and errors["name"] == protocol.limit_problem("text", LONG)


def test_record_forms_apply_the_protocol_text_cap_to_every_field():
    person = validate_person(Person(name="张三", notes=LONG))
    assert person["notes"] == protocol.limit_problem("text", LONG) and "10000" in person["notes"]
    klass = validate_class(TrainingClass(name="书法班", art_form="calligraphy", notes=LONG))
    assert "10000" in klass["notes"]
    assert not validate_person(Person(name="张三", notes="长" * protocol.MAX_TEXT))
