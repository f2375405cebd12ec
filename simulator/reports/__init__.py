"""Score reports for instructors: csv, xlsx, json, html, xapi, pdf."""
