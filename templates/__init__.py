"""Reference data shipped with sheetsync (countries, rate card); installed as sheetsync.templates."""
