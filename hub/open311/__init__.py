"""An Open311 GeoReport v2 server: the category tree as services, cases as service requests."""
