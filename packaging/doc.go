// Package packaging holds how ctrun for Linux is installed and packaged:
// mkdeb.sh and the files it fills in (the Debian package, `make deb`),
// its maintainer scripts (preinst and postrm divert iproute2's
// /usr/bin/ctstat to /usr/bin/ctstat.iproute2 while ctrun is installed),
// debversion (git describe to a Debian version), and the tests of `make
// install`, `make uninstall` and the package itself.
package packaging
