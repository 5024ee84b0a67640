"""Entity profiles (M1 profile loading): one JSON file per well-characterised entity."""
