"""The course: lesson pages in teaching order, each a URL path (app.py turns them into pages).

Each lesson is a page a teacher can put on a projector: a live instrument, a few short
paragraphs, one "try this" and the reference it rests on (views/lessons/common.py)."""

from __future__ import annotations

from ui import course
from views.lessons import ae_vs_pca, anomalies, bottleneck, denoising, maps, replay, vae

# (url path, the sidebar's short title, the page's title, icon, render)
LESSONS = [
    ("bottleneck", "The bottleneck", "The bottleneck: what an autoencoder is", ":material/compress:", bottleneck.render),
    ("ae-vs-pca", "AE vs PCA", "Autoencoder against PCA", ":material/scatter_plot:", ae_vs_pca.render),
    ("clusters", "Clusters", "Clusters in the latent space", ":material/bubble_chart:", maps.clusters),
    ("replay", "Training replay", "Training replay: a latent space forming", ":material/play_circle:", replay.render),
    ("generating", "Generating", "Generating from the plane", ":material/auto_awesome:", maps.generating),
    ("interpolation", "Interpolation", "Interpolation: walking between digits", ":material/timeline:", maps.interpolation),
    ("vae", "The VAE", "The VAE: a cloud of codes per image", ":material/blur_on:", vae.render),
    ("beta", "The KL weight", "The KL weight: rebuilding each image against fitting the prior", ":material/tune:", maps.beta),
    ("denoising", "Denoising", "Denoising autoencoders", ":material/cleaning_services:", denoising.render),
    ("anomalies", "Anomalies", "Anomaly detection by reconstruction error", ":material/troubleshoot:", anomalies.render),
]
course.COURSE[:] = [(path, title) for path, _, title, _, _ in LESSONS]
