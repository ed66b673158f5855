"""Files in and out: spreadsheets (xlsx/csv) and printable PDFs. No Qt."""
