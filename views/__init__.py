"""The app's pages, one module each; importing one runs nothing (app.py calls its render()). Not
named pages/: Streamlit would also list a pages/ folder's files as pages of their own."""
