"""What the pages show, computed: the typed state of each view, what a state shows, measured facts
the lessons quote, walks between codes, a VAE's posterior, the figures and the pictures."""
