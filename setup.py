from setuptools import find_packages, setup


def parse_requirements(path):
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip() and not line.startswith('-')]


setup(
    name='mmseg_dda',
    version='0.1.0',
    description='DDA (Unsupervised Domain Adaptation for Semantic Segmentation '
    'using Depth Distribution, NeurIPS 2022) as an MMSegmentation 1.x plugin',
    packages=find_packages(include=['mmseg_dda', 'mmseg_dda.*']),
    package_data={
        'mmseg_dda.density': ['params/*.json'],
        'mmseg_dda.datasets': ['splits/*.txt'],
    },
    python_requires='>=3.9',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        # tools/train.py --tensorboard (MMEngine's TensorboardVisBackend).
        'tensorboard': ['tensorboard>=2.10'],
    },
)
