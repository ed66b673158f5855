"""Small widgets shared by every page: dates, times, field errors, reference-data choosers, the
save flow of forms and the list model."""

from pzh_station.ui.widgets.dates import DateEdit, OptionalDateEdit, TimeEdit
from pzh_station.ui.widgets.field_errors import FieldErrorLabel, FieldErrors, field_box
from pzh_station.ui.widgets.refdata import CheckList, RefCombo
from pzh_station.ui.widgets.rows_model import RowsModel, rows_table
from pzh_station.ui.widgets.saving_dialog import SavingDialog

__all__ = [
    "CheckList",
    "DateEdit",
    "FieldErrorLabel",
    "FieldErrors",
    "OptionalDateEdit",
    "RefCombo",
    "RowsModel",
    "SavingDialog",
    "TimeEdit",
    "field_box",
    "rows_table",
]
