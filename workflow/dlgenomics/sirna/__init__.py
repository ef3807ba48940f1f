"""siRNA specifics: design rules, thermodynamics, target sites, features and screening."""
