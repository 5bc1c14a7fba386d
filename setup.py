"""Package build script: every piece of metadata comes from settings.ini."""
from configparser import ConfigParser
from pathlib import Path

from setuptools import Extension, find_packages, setup

_here = Path(__file__).resolve().parent
_cfg = ConfigParser(delimiters=['='])
_cfg.read(_here / 'settings.ini', encoding='utf-8')
cfg = _cfg['DEFAULT']

_required = ('lib_name', 'dist_name', 'version', 'min_python', 'description', 'author', 'author_email', 'license')
_missing = [k for k in _required if not cfg.get(k)]
if _missing: raise ValueError(f"settings.ini is missing: {', '.join(_missing)}")

_licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License'),
             'mit': ('MIT License', 'OSI Approved :: MIT License')}
_statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature']
lic_name, lic_classifier = _licenses.get(cfg['license'], (cfg['license'], None))
min_python = cfg['min_python']
_py_versions = [f'3.{m}' for m in range(int(min_python.split('.')[1]), 14)]


def _words(key: str) -> list[str]:
    """Space-separated list value from settings.ini (empty when absent)."""
    return cfg.get(key, '').split()


# Optional C accelerators (render and element construction). Each has a pure-Python twin that is used when the
# extension is missing (no compiler), fails to build, or FASTHTML_PURE_PYTHON=1 is set; output is identical.
ext_modules = [Extension(f"{cfg['lib_name']}.{n}", [f"{cfg['lib_name']}/{n}.c"], optional=True)
               for n in ('_crender', '_cbuild', '_crows') if (_here / cfg['lib_name'] / f'{n}.c').exists()]

readme = _here / 'README.md'
classifiers = [f"Development Status :: {_statuses[int(cfg.get('status', '2')) - 1]}",
               f"Intended Audience :: {cfg.get('audience', 'Developers')}",
               f"Natural Language :: {cfg.get('language', 'English')}",
               'Framework :: AsyncIO', 'Topic :: Internet :: WWW/HTTP :: Dynamic Content', 'Typing :: Typed']
classifiers += [f'Programming Language :: Python :: {v}' for v in _py_versions]
if lic_classifier: classifiers.append(f'License :: {lic_classifier}')

setup(
    name=cfg['dist_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=readme.read_text(encoding='utf-8') if readme.exists() else cfg['description'],
    long_description_content_type='text/markdown',
    author=cfg['author'],
    author_email=cfg['author_email'],
    license=lic_name,
    keywords=cfg.get('keywords', ''),
    classifiers=classifiers,
    url=cfg.get('git_url') or None,
    python_requires=f'>={min_python}',
    packages=find_packages(include=[cfg['lib_name'], cfg['lib_name'] + '.*']),
    package_data={'': ['*.pyi'], cfg['lib_name']: ['py.typed', '*.js']},
    include_package_data=True,
    zip_safe=False,
    install_requires=_words('requirements'),
    extras_require={'dev': _words('dev_requirements'), 'widgets': _words('widgets_requirements'),
                    'stripe': _words('stripe_requirements'), 'postgres': _words('postgres_requirements'),
                    'redis': _words('redis_requirements')},
    entry_points={'console_scripts': _words('console_scripts')},
    ext_modules=ext_modules,
)
