"""The third-party client suite (issue 12): apache-libcloud, footmark, the ansible-alicloud modules run by
ansible-playbook, and aliyun-img-utils, unmodified, against a real ``imageshare serve``.

This file makes ``compat/clients`` a package so that its modules are imported as ``clients.*`` while
``compat/conftest.py`` stays importable as plain ``conftest`` (two un-packaged ``conftest.py`` files would
replace each other in ``sys.modules``). It needs its own virtualenv (``compat/clients/install-venv``), so
``compat/pytest.ini`` keeps the main SDK run from collecting it.
"""
