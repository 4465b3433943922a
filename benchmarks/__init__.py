"""The course's benchmarks, `make bench`: what streaming through the course's code adds to each token,
what the course model and the web app cost, under load too. `python -m benchmarks` runs them all
(see `run`); benchmarks/README.md says what each module measures and what the figures mean.
"""
