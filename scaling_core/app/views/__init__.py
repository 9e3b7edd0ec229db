"""One module per page: the tables and numbers it shows, computed from the layers below."""
