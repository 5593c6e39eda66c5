#!/usr/bin/env python3
"""Unit tests of wb/__main__.py: the commands' steps, their order, and
which failure stops what."""
import importlib
import io
import os
import unittest
from contextlib import redirect_stderr
from unittest import mock

main = importlib.import_module('wb.__main__')


class MainTest(unittest.TestCase):
    def test_steps_exist(self):
        """Every step is a command of the table, or a script: of scripts/, or
        a path from the top (wb/stages.py)."""
        for name, (_, steps) in main.COMMANDS.items():
            for step in steps:
                if isinstance(step, str):
                    self.assertIn(step, main.COMMANDS, name)
                elif step != ('unit',):
                    script = [a for a in step if '=' not in a][0]
                    path = script if '/' in script else os.path.join('scripts', script)
                    self.assertTrue(os.access(os.path.join(main.TOP, path), os.X_OK),
                                    '%s: %s' % (name, script))

    def run_cmd(self, name, fail=()):
        calls, lasts = [], []
        self.lasts = lasts

        def step(s, last=False):
            calls.append([a for a in s if '=' not in a][0])
            lasts.append(last)
            return 1 if calls[-1] in fail else 0
        err = io.StringIO()
        with mock.patch.object(main, 'run_step', side_effect=step), redirect_stderr(err):
            rc = main.main([name])
        return rc, calls, err.getvalue()

    def test_order_and_once(self):
        rc, calls, _ = self.run_cmd('initramfs')
        self.assertEqual(rc, 0)
        # deps once, before the build, before the initramfs itself.
        self.assertEqual(calls[0], 'deps.sh')
        self.assertEqual(calls.count('deps.sh'), 1)
        self.assertLess(calls.index('ensure-tree.sh'), calls.index('test-lists.sh'))
        # Only the command's own last step may replace the process.
        self.assertEqual(self.lasts, [False] * (len(calls) - 1) + [True])

    def test_last_step_replaces_the_process(self):
        """So that make's (and a CI's) SIGTERM reaches make check's stages (wb/stages.py) itself."""
        # A mocked execve returns: it must not fall through to running the
        # script for real (make check's own results are in build/check).
        with mock.patch.object(main.os, 'execve', side_effect=OSError('mocked')) as execve, \
                mock.patch.object(main.os, 'chdir'), \
                mock.patch.object(main.subprocess, 'Popen') as popen:
            with self.assertRaises(OSError):
                main.run_step(('CHECK_ONLY=x', 'wb/stages.py'), last=True)
        popen.assert_not_called()
        argv = execve.call_args.args[1]
        self.assertTrue(argv[0].endswith('/wb/stages.py'))
        self.assertEqual(execve.call_args.args[2]['CHECK_ONLY'], 'x')

    def test_other_steps_forward_signals(self):
        with mock.patch.object(main.subprocess, 'Popen') as popen:
            popen.return_value.wait.return_value = 0
            with mock.patch.object(main.signal, 'signal') as sig:
                self.assertEqual(main.run_step(('deps.sh',)), 0)
        handlers = [c.args for c in sig.call_args_list]
        self.assertIn(main.signal.SIGTERM, [h[0] for h in handlers])
        handlers[0][1](main.signal.SIGTERM, None)
        popen.return_value.send_signal.assert_called_with(main.signal.SIGTERM)

    def test_failure_stops(self):
        rc, calls, err = self.run_cmd('check', fail=('deps.sh',))
        self.assertEqual(rc, 1)
        self.assertNotIn('wb/stages.py', calls)
        self.assertIn('wb check: stopped, as deps', err)
        # The command's own script failing adds no line after its own
        # (make check's last line is its summary).
        rc, calls, err = self.run_cmd('check', fail=('wb/stages.py',))
        self.assertEqual((rc, err), (1, ''))

    def test_env_and_stdout(self):
        with mock.patch.object(main.subprocess, 'Popen') as popen:
            popen.return_value.wait.return_value = 0
            main.run_step(('CHECK_ONLY=tree build vmx', 'wb/stages.py'))
        self.assertEqual(popen.call_args.kwargs['env']['CHECK_ONLY'], 'tree build vmx')
        self.assertTrue(popen.call_args.args[0][0].endswith('/wb/stages.py'))


if __name__ == '__main__':
    unittest.main()
