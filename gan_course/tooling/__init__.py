"""The instructor's and contributor's tooling, apart from the GAN code a learner reads.

* `cli`: the `gan-course` command (doctor, release, clean, slides, grade, progress);
* `release`: exercises made from solutions; `slides`: the lessons' slide metadata;
* `grading` and `gradebook`: grading a class's notebooks;
* `layout`: where the notebooks are and how their names pair up;
* `jupyter`: the Jupyter server extension that keeps lessons unmodified when they are opened.

Nothing here is imported by the GAN code in `gan_course/`.
"""
