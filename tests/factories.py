"""factory_boy factories shared by the whole suite."""
