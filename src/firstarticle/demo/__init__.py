"""The demo plant: believable sites, customers, parts and FAIs in every lifecycle status."""
