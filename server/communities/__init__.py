"""Communities: the places (Siena, Belgrade, Utrecht...) stories belong to."""
