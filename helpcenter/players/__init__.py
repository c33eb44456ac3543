"""Players signed in from the casino: single sign-on with a short-lived signed token (JWT)."""
