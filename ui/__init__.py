"""What the pages share: the app's settings and cached loading, the view state kept in the session
and the URL, pictures, and the latent map widget. Streamlit lives here and in views/, never in
explorer/."""
