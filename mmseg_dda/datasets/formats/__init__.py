"""File formats of the datasets: reading (and validating) the files on disk.

Every reader raises an error that names the file and the problem; they are
the validators of the data (the datasets, transforms and density tools read
through them).
"""
