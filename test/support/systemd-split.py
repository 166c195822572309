#!/usr/bin/env python3
"""Prints, one JSON string per line, the argv systemd builds for `kubelet $KUBELET_ARGS` from an
EnvironmentFile, using systemd's own code (libsystemd-shared: load_env_file, replace_env_argv),
so tests check the agent's quoting against the real parser, not a reimplementation.
usage: systemd-split.py ENVIRONMENT_FILE '$KUBELET_ARGS'"""
import ctypes, glob, json, sys

candidates = sorted(glob.glob('/usr/lib/*/systemd/libsystemd-shared-*.so') + glob.glob('/usr/lib/systemd/libsystemd-shared-*.so'))
if not candidates:
    sys.exit('libsystemd-shared not found (install the systemd package)')
lib = ctypes.CDLL(candidates[-1])
strv = ctypes.POINTER(ctypes.c_char_p)
lib.load_env_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(strv)]
lib.load_env_file.restype = ctypes.c_int
version = int(candidates[-1].rsplit('-', 1)[1].split('.')[0])

env = strv()
rc = lib.load_env_file(None, sys.argv[1].encode(), ctypes.byref(env))
if rc < 0:
    sys.exit(f'load_env_file: error {rc}')
argv = (ctypes.c_char_p * 3)(b'kubelet', sys.argv[2].encode(), None)
if version <= 252:
    lib.replace_env_argv.argtypes = [strv, strv]
    lib.replace_env_argv.restype = strv
    out = lib.replace_env_argv(argv, env)
else:  # 253 made it return int and report unset/invalid variables separately
    lib.replace_env_argv.argtypes = [strv, strv, ctypes.POINTER(strv), ctypes.c_void_p, ctypes.c_void_p]
    lib.replace_env_argv.restype = ctypes.c_int
    out = strv()
    rc = lib.replace_env_argv(argv, env, ctypes.byref(out), None, None)
    if rc < 0:
        sys.exit(f'replace_env_argv: error {rc}')
i = 0
while out[i] is not None:
    print(json.dumps(out[i].decode()))
    i += 1
