#!/bin/sh
# Style checks that a compiler does not make: banned functions, and each
# external library used only behind its one seam file.
set -u
cd "$(dirname "$0")/.." || exit 1
status=0
src=$(find orchestrator probes $(ls -d reports 2>/dev/null) -name '*.c' -o -name '*.h' | sort)

# curl keeps a list like this one; these invite overflows or misparses.
banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol)[[:space:]]*\('
if grep -nE "$banned" $src; then
	echo "style: banned function (see STYLE.md)"
	status=1
fi

# seam FILE HEADER: only FILE may include HEADER.
# FILE may be a glob (orchestrator/store*.c: the files of one module).
seam() {
	hits=$(grep -l "#include <$2>" $src | while read -r f; do
		case $f in $1) ;; *) echo "$f" ;; esac; done)
	if [ -n "$hits" ]; then
		echo "style: <$2> outside $1: $hits"
		status=1
	fi
}
seam orchestrator/ssh.c libssh2.h
seam orchestrator/http.c curl/curl.h
seam "orchestrator/store*.[ch]" sqlite3.h
seam orchestrator/load.c yaml.h
seam orchestrator/xml.c 'libxml/[a-zA-Z]*.h'

# Tabs, and lines of at most 80 columns (tabs count as 8).
long=$(awk '{ col = 0; n = length($0);
    for (i = 1; i <= n; i++) {
	if (substr($0, i, 1) == "\t") col += 8 - col % 8; else col++
    }
    if (col > 80) printf "%s:%d\n", FILENAME, FNR }' $src)
if [ -n "$long" ]; then
	echo "style: lines longer than 80 columns:"
	echo "$long"
	status=1
fi
[ $status = 0 ] && echo "style: ok"
exit $status
