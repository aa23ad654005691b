"""Packages for setuptools (the metadata is in pyproject.toml).

The design card's folders keep their places in the repository but ship under the derivspec
package, so the distribution claims no generic top-level names: ``derivations/`` is
``derivspec.derivations``, ``numerics/`` is ``derivspec.numerics`` and ``reference_models/`` is
``derivspec.reference_models``.
"""

from setuptools import find_packages, setup

FOLDERS = ("derivations", "numerics", "reference_models")

packages = find_packages(include=["derivspec", "derivspec.*"])
package_dir = {}
for folder in FOLDERS:
    name = f"derivspec.{folder}"
    package_dir[name] = folder
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

# derivspec/data: the claim index's ids/lines/kinds and the coverage reasons (derivspec.app.coverage)
# derivspec/app/templates: the Jinja2 templates and the CSS of the HTML report and the annotated lecture view
setup(packages=packages, package_dir=package_dir,
      package_data={"derivspec": ["data/*.toml", "data/*.tsv", "data/knowledge/*.toml", "app/templates/*.html",
                                   "app/templates/*.css"]})
