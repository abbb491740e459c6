#!/usr/bin/python3
"""Check that the shell scripts of the tree call only programs that
`make deps` installs, and that each ATF test case requires (with
require.progs) every such program it calls, so that a missing package
fails loudly instead of skipping a test or breaking it halfway.

usage: progs.py TOP

TOP is the source tree; its atf-sh test programs must be built.  The
packages of `make deps` are read from TOP/GNUmakefile (DEB_PACKAGES,
and DEB_TOOLS: those of `make deb`)
and must be installed: dpkg says which package a program comes from.
A program from those packages or the ones they depend on must be
required; one from an Essential or Priority: required package is in
every Debian and needs no mention.

The shell is read as our scripts write it: a function is "name()" on a
line of its own with its body between "{" and "}" at the start of a
line, or all on one line.  A command is a word at a command position, after the usual
wrappers (ip netns exec NS, atf_check -s ..., exec, timeout N, ...).
A script may name programs it calls only when asked (a profiler
behind a flag) on a line "# progs-optional: NAME ...".
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

# Words that begin a command list: the next word is a command.
OPENERS = {";", ";;", "|", "||", "&&", "&", "(", "!", "{", "then", "do",
           "else", "elif", "if", "while", "until", "time"}

SHELL_WORDS = {"fi", "done", "esac", "in", "}", ")", "case", "for",
               "return", "local", "export", "set", "shift", "unset",
               "exit", "break", "continue", "eval", "trap", "wait",
               "read", "cd", "umask", "echo", "printf", "test", "[",
               "true", "false", ":", ".", "kill", "command", "type",
               "getopts", "pwd", "exec", "readonly", "alias"}

# The programs this tree builds and the helpers its tests make.
OWN = {"wgctl", "wgd"}


def deb_packages(top):
    """DEB_PACKAGES, and DEB_TOOLS: what make deb installs for itself
    and for the packages' tests in regress/pkg (make check-deb)."""
    text = open(os.path.join(top, "GNUmakefile")).read()
    text = text.replace("\\\n", " ")
    m = re.search(r"^DEB_PACKAGES\s*[:?]?=(.*)$", text, re.M)
    if m is None:
        sys.exit("progs.py: no DEB_PACKAGES in GNUmakefile")
    tools = re.search(r"^DEB_TOOLS\s*[:?]?=(.*)$", text, re.M)
    return m.group(1).split(), tools.group(1).split() if tools else []


class Dpkg:
    """What dpkg knows, read from its database once: a file's package,
    a package's dependencies, and whether every Debian has it."""

    def __init__(self, admindir="/var/lib/dpkg"):
        self.pkgs = {}
        with open(os.path.join(admindir, "status")) as f:
            for stanza in f.read().split("\n\n"):
                fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", stanza,
                                         re.M))
                if fields.get("Status", "").endswith(" installed"):
                    self.pkgs[fields["Package"]] = fields
        self.files = {}
        info = os.path.join(admindir, "info")
        for name in os.listdir(info):
            if name.endswith(".list"):
                pkg = name[:-5].split(":")[0]
                with open(os.path.join(info, name)) as f:
                    for line in f:
                        self.files.setdefault(line.rstrip("\n"), pkg)

    def installed(self, pkg):
        return pkg in self.pkgs

    def depends(self, pkg):
        f = self.pkgs.get(pkg, {})
        return f.get("Pre-Depends", "") + ", " + f.get("Depends", "")

    def owner(self, path):
        """The package that installed path, through merged /usr."""
        for p in (path, os.path.realpath(path)):
            for c in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
                if c in self.files:
                    return self.files[c]
        return None

    def in_every_debian(self, pkg):
        f = self.pkgs.get(pkg, {})
        return f.get("Essential") == "yes" or f.get("Priority") == "required"



def which(word):
    """The file a command name runs, as the shell would find it."""
    return shutil.which(word) or ""


def strip_heredocs(lines):
    out = []
    end = None
    for line in lines:
        if end is not None:
            if line.strip() == end:
                end = None
            out.append("")
            continue
        m = re.search(r"<<-?\s*['\"]?([A-Za-z_]+)['\"]?", line)
        if m:
            end = m.group(1)
        out.append(line)
    return out


def quote_open(s):
    """True when s ends inside a quoted string."""
    q = None
    i = 0
    while i < len(s):
        c = s[i]
        if q is None:
            if c == "#" and (i == 0 or s[i - 1] in " \t;|&("):
                j = s.find("\n", i)
                if j < 0:
                    break
                i = j
            elif c == "\\":
                i += 1
            elif c in "'\"":
                q = c
        elif q == "'" and c == "'":
            q = None
        elif q == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                q = None
        i += 1
    return q is not None


def logical_lines(lines):
    """Lines joined where a quoted string goes on over a newline."""
    out = []
    buf = None
    for line in lines:
        buf = line if buf is None else buf + "\n" + line
        if not quote_open(buf):
            out.append(buf)
            buf = None
    if buf is not None:
        out.append(buf)
    return out


def substitutions(s):
    """Split out the insides of $(...) and `...`: (outer, [inner...])."""
    inner = []
    out = []
    i = 0
    while i < len(s):
        if s.startswith("$(", i) and not s.startswith("$((", i):
            depth = 1
            j = i + 2
            while j < len(s) and depth:
                if s[j] == "(":
                    depth += 1
                elif s[j] == ")":
                    depth -= 1
                j += 1
            inner.append(s[i + 2:j - 1])
            out.append(" X ")
            i = j
        elif s[i] == "`":
            j = s.find("`", i + 1)
            j = len(s) if j < 0 else j
            inner.append(s[i + 1:j])
            out.append(" X ")
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out), inner


def tokens(s):
    lex = shlex.shlex(s, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:
        return s.split()


def skip_wrapper(toks, i):
    """Index of the real command at a command position i."""
    while i < len(toks):
        t = toks[i]
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", t):
            i += 1
        elif t in ("exec", "nohup", "setsid", "sudo", "nice", "env"):
            i += 1
        elif t == "timeout":
            i += 1
            while i < len(toks) and toks[i].startswith("-"):
                i += 1
            i += 1
        elif t == "taskset":
            i += 1
            while i < len(toks) and toks[i].startswith("-"):
                i += 1
            i += 1
        elif t == "atf_check":
            i += 1
            while i < len(toks) and toks[i].startswith("-"):
                i += 1 if toks[i] in ("-x",) else 2
        elif (t == "ip" and toks[i + 1:i + 3] == ["netns", "exec"]):
            i += 4
        else:
            return i
    return i


def commands(stmt):
    """The command words of one logical line."""
    outer, inner = substitutions(stmt)
    found = []
    for s in inner:
        found += commands(s)
    toks = tokens(outer)
    pos = True
    i = 0
    while i < len(toks):
        if pos:
            i = skip_wrapper(toks, i)
            if i >= len(toks):
                break
            t = toks[i]
            if t == "command":
                # "command -v X" asks; it does not run X.
                pos = False
            elif t not in OPENERS:
                found.append(t)
                pos = False
            i += 1
            continue
        if toks[i] in OPENERS:
            pos = True
        i += 1
    return found


class Script:
    def __init__(self, path, seen=None):
        self.path = path
        self.funcs = {}
        self.top = []
        self.optional = set()
        seen = set() if seen is None else seen
        seen.add(os.path.realpath(path))
        self.parse(open(path).read(), seen)

    def parse(self, text, seen):
        for m in re.finditer(r"^#\s*progs-optional:(.*)$", text, re.M):
            self.optional |= set(m.group(1).split())
        lines = logical_lines(strip_heredocs(
            text.replace("\\\n", " ").splitlines()))
        cur = None
        for line in lines:
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{(.*)\}\s*$",
                         line)
            if m and cur is None:
                self.funcs.setdefault(m.group(1), []).extend(
                    commands(m.group(2)))
                continue
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{?\s*$",
                         line)
            if m and cur is None:
                cur = self.funcs.setdefault(m.group(1), [])
                continue
            if cur is not None and re.match(r"^\}", line):
                cur = None
                continue
            m = re.match(r'^\s*\.\s+"?\$\(atf_get_srcdir\)/([^"\s]+)"?',
                         line)
            if m:
                lib = os.path.join(os.path.dirname(self.path),
                                   m.group(1))
                if os.path.realpath(lib) not in seen:
                    sub = Script(lib, seen)
                    self.funcs.update(sub.funcs)
                    self.optional |= sub.optional
                continue
            words = commands(line)
            (self.top if cur is None else cur).extend(words)

    def calls(self, roots):
        """Every non-function command reached from the functions."""
        done = set()
        out = set()
        todo = [r for r in roots if r in self.funcs]
        while todo:
            f = todo.pop()
            if f in done:
                continue
            done.add(f)
            for w in self.funcs[f]:
                if w in self.funcs:
                    todo.append(w)
                else:
                    out.add(w)
        return out


def atf_cases(out):
    """(ident, set of require.progs, a property set twice) for each case
    in the listing (atf-sh's -l) of a test program."""
    cases = []
    for block in out.split("\n\n"):
        pairs = [l.split(": ", 1) for l in block.splitlines() if ": " in l]
        props = dict(pairs)
        if "ident" not in props:
            continue
        # atf-sh lists a property set twice, and Kyua then refuses
        # the whole program as broken.
        dup = len(pairs) != len(props)
        cases.append((props["ident"],
                      set(props.get("require.progs", "").split()), dup))
    return cases


def listings(progs):
    """Each program's -l output; they run at once, each takes a while."""
    procs = [subprocess.Popen([p, "-l"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
             for p in progs]
    return [p.communicate()[0] for p in procs]


class Checker:
    def __init__(self, top):
        self.top = top
        pkgs, tools = deb_packages(top)
        self.dpkg = Dpkg()
        # make deb installs DEB_TOOLS: before it has, regress/pkg
        # cannot be checked (main leaves it out).
        self.tools_missing = [t for t in tools
                              if not self.dpkg.installed(t)]
        self.pkgs = set(pkgs)
        if not self.tools_missing:
            self.pkgs.update(tools)
        # A package a listed one depends on comes with it: python3
        # brings /usr/bin/python3 in python3-minimal.
        for pkg in list(self.pkgs):
            if not self.dpkg.installed(pkg):
                sys.exit("progs.py: package %s is not installed" % pkg)
            for alt in self.dpkg.depends(pkg).split(","):
                m = re.match(r"\s*([a-z0-9][a-z0-9.+-]*)", alt)
                if m and "|" not in alt:
                    self.pkgs.add(m.group(1))
        self.errors = []
        self.owners = {}

    def package_of(self, word):
        """The package of the program word runs, or None."""
        if word not in self.owners:
            path = which(word)
            self.owners[word] = self.dpkg.owner(path) if path else None
        return self.owners[word]

    def classify(self, where, words, optional=(), funcs=()):
        """The words that are programs of make deps; errors for others."""
        used = set()
        for w in words:
            if w.startswith("/") and re.match(r"^[A-Za-z0-9_./+-]+$", w):
                # A program named by its path: the same rules.
                pkg = self.dpkg.owner(w) if os.path.exists(w) else None
                if pkg in self.pkgs:
                    used.add(w)
                elif pkg is None or not self.dpkg.in_every_debian(pkg):
                    self.errors.append("%s: calls %s, which make deps "
                                       "does not install" % (where, w))
                continue
            if (w in SHELL_WORDS or w in OWN or w in optional or
                    w in funcs or w.startswith("atf_") or
                    not re.match(r"^[A-Za-z0-9_.+-]+$", w)):
                continue

            if w.startswith("python3"):
                # Debian's, not whichever comes first on PATH.
                self.errors.append("%s: calls %s by name, not as "
                                   "/usr/bin/python3" % (where, w))
                continue
            pkg = self.package_of(w)
            # In every Debian needs no mention, even when a package of
            # ours depends on it (dnsmasq-base on passwd).
            if pkg in self.pkgs and not self.dpkg.in_every_debian(pkg):
                used.add(w)
            elif pkg is not None and not self.dpkg.in_every_debian(pkg):
                self.errors.append("%s: calls %s (%s), which make deps "
                                   "does not install" % (where, w, pkg))
        return used

    def check_required(self, where, req):
        for p in sorted(req):
            path = p if p.startswith("/") else which(p)
            pkg = self.dpkg.owner(path) if path else None
            if pkg is None or not (pkg in self.pkgs or
                                   self.dpkg.in_every_debian(pkg)):
                self.errors.append("%s: requires %s, which make deps "
                                   "does not install" % (where, p))

    def atf_program(self, src, listing):
        s = Script(src)
        for ident, req, dup in atf_cases(listing):
            where = "%s:%s" % (os.path.relpath(src, self.top), ident)
            if dup:
                self.errors.append("%s: sets a property twice" % where)
            self.check_required(where, req)
            words = s.calls([ident + "_body", ident + "_cleanup"])
            used = self.classify(where, words, funcs=s.funcs)
            # A program named by its path in require.progs counts.
            names = {os.path.basename(r) for r in req} | req
            # A path called must be required by that path.
            for p in sorted(u for u in used
                            if u not in req and (u.startswith("/") or
                                                 u not in names)):
                self.errors.append("%s: calls %s (%s) without "
                                   "require.progs" % (where, p,
                                                      self.package_of(p)))

    def plain_script(self, src):
        s = Script(src)
        words = set(s.top) | s.calls(list(s.funcs))
        self.classify(os.path.relpath(src, self.top), words, s.optional,
                      s.funcs)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: progs.py TOP")
    top = sys.argv[1]
    c = Checker(top)
    programs = []
    for d in sorted(os.listdir(os.path.join(top, "regress"))):
        dir_ = os.path.join(top, "regress", d)
        if not os.path.isdir(dir_):
            continue
        if d == "pkg" and c.tools_missing:
            print("progs.py: regress/pkg not checked: make deb installs %s"
                  % " ".join(c.tools_missing), file=sys.stderr)
            continue
        for f in sorted(os.listdir(dir_)):
            if re.match(r"^t_.*\.sh$", f):
                prog = os.path.join(dir_, f[:-3])
                if not os.access(prog, os.X_OK):
                    sys.exit("progs.py: %s is not built" % prog)
                programs.append((os.path.join(dir_, f), prog))
    for (src, _), out in zip(programs, listings([p for _, p in programs])):
        c.atf_program(src, out)
    for f in ("bench/bench.sh", "demo/demo.sh"):
        c.plain_script(os.path.join(top, f))
    for e in c.errors:
        print(e)
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
