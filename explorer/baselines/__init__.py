"""What models are measured against: PCA, the best linear code of each size, and a digit
classifier that judges which digit a decoded image looks like."""
