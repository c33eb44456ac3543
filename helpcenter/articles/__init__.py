"""Knowledge base: categories and articles in az, ru and en."""
