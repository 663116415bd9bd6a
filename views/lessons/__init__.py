"""The course: every module here but common.py is one lesson, which registers itself (its path,
titles, icon, typed state, example link, maps and the bundles it quotes: ui/course.Lesson); this
file holds the course's order, the one list a new lesson joins. app.py makes the pages from it.

Each lesson is a page a teacher can put on a projector: a live instrument, a few short
paragraphs, one "try this" and the reference it rests on (views/lessons/common.py)."""

from __future__ import annotations

import importlib
import pkgutil

from ui import course

ORDER = ["bottleneck", "ae-vs-pca", "clusters", "replay", "generating", "interpolation", "vae", "beta", "aae",
         "cvae", "denoising", "kinds", "sequence", "vq-vae", "compression", "front-end", "anomalies"]

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "common":
        importlib.import_module(f"{__name__}.{_module.name}")  # a lesson registers itself with course.lesson

LESSONS = course.in_order(ORDER)
course.COURSE[:] = [(lesson.path, lesson.title) for lesson in LESSONS]
