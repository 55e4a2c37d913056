# Sourced by the packaging scripts: the Debian archive and suite this machine
# already installs from, so packaging steps use the same archive and never a
# host of their own.
debian_archive_uri() {
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources
  else
    awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2); exit }' /etc/apt/sources.list
  fi
}
debian_suite() { (. /etc/os-release && echo "$VERSION_CODENAME"); }
