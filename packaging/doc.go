// Package packaging holds how ctrun for Linux is installed and packaged:
// mkdeb.sh and the files it fills in (the Debian package, `make deb`),
// debversion (git describe to a Debian version), and the tests of `make
// install`, `make uninstall` and the package itself.
package packaging
