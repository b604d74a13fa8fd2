"""The demo: the seed stories (cases and whistles told step by step through the services) and
a synthetic month of hotline traffic, loaded by ``hub demo`` over the reference data."""
