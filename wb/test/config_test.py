#!/usr/bin/env python3
"""Unit tests of wb/config.py: the one reader of config/'s lists, and the
one matching rule."""
import io
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

from wb import config

LIST = """\
# a comment line
x86/private_mem_shared_bit_test
x86/private_mem_shared_bit_test   -b 38   # trailing comment
\t
guest_memfd_test\t  because  of   reasons
"""


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        with open(os.path.join(self.dir.name, "list"), "w") as f:
            f.write(LIST)
        with open(os.path.join(self.dir.name, "table"), "w") as f:
            f.write("# A | B\n  # indented comment\nx | y # not a comment  \n z |  a  b\n")

    def test_entries(self):
        self.assertEqual(config.entries("list", self.dir.name), [
            "x86/private_mem_shared_bit_test",
            "x86/private_mem_shared_bit_test -b 38",
            "guest_memfd_test because of reasons"])

    def test_table_keeps_hashes_in_fields(self):
        self.assertEqual(config.entries("table", self.dir.name, table=True),
                         ["x | y # not a comment", "z |  a  b"])

    def test_path_or_config_name(self):
        path = os.path.join(self.dir.name, "list")
        self.assertEqual(config.path_of(path), path)
        self.assertEqual(config.path_of("list", self.dir.name), path)
        self.assertEqual(config.entries(path), config.entries("list", self.dir.name))

    def test_missing_file(self):
        with self.assertRaisesRegex(config.Error, "no-such"):
            config.entries("no-such", self.dir.name)

    def test_names_once_each_in_order(self):
        self.assertEqual(config.names("list", self.dir.name),
                         ["x86/private_mem_shared_bit_test", "guest_memfd_test"])

    def test_reasons(self):
        self.assertEqual(config.reasons("list", self.dir.name), {
            "x86/private_mem_shared_bit_test": "-b 38",
            "guest_memfd_test": "because of reasons"})

    def test_matching_rule_is_by_name_whatever_the_arguments(self):
        names = config.names("list", self.dir.name)
        self.assertTrue(config.listed("x86/private_mem_shared_bit_test -b 47", names))
        self.assertTrue(config.listed("guest_memfd_test", names))
        self.assertFalse(config.listed("x86/private_mem_shared_bit", names))
        self.assertFalse(config.listed("private_mem_shared_bit_test", names))

    def test_suite_args_of_the_real_config(self):
        """config/suite-args: whole invocations, one per test, of tests
        that the suite runs (not left out by config/suite-skip)."""
        entries = config.entries("suite-args")
        self.assertTrue(entries)
        names = [config.name_of(e) for e in entries]
        self.assertEqual(len(names), len(set(names)))
        for e in entries:
            self.assertNotEqual(e, config.name_of(e), "no arguments: " + e)
        self.assertFalse(set(names) & set(config.names("suite-skip")))

    def cli(self, *args, stdin=""):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(io.StringIO()), \
                mock.patch("sys.stdin", io.StringIO(stdin)):
            rc = config.main(["wb.config", *args])
        return rc, out.getvalue().splitlines()

    def test_cli(self):
        path = os.path.join(self.dir.name, "list")
        self.assertEqual(self.cli("count", path), (0, ["3"]))
        self.assertEqual(self.cli("names", path)[1], config.names(path))
        stdin = "guest_memfd_test\nvm_types_test # c\n\nx86/private_mem_shared_bit_test -b 1\n"
        self.assertEqual(self.cli("without", path, stdin=stdin), (0, ["vm_types_test"]))
        self.assertEqual(self.cli("only", path, stdin=stdin),
                         (0, ["guest_memfd_test", "x86/private_mem_shared_bit_test -b 1"]))
        self.assertEqual(self.cli("entries", os.path.join(self.dir.name, "none"))[0], 1)
        self.assertEqual(self.cli("bogus", path)[0], 2)


if __name__ == "__main__":
    unittest.main()
