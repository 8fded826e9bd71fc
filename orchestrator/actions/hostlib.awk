# hostlib.awk - makes C of hostlib.sh (the Makefile runs it; the C goes
# to the build folder and is never checked in): the table hv_hostlib[]
# of hostlib.h, one entry per function, in the file's order. Comment
# lines inside a function are left out (what is sent stays small), so a
# line of a quoted string in a function must not begin with "#".
#
#   awk -f hostlib.awk hostlib.sh >hostlib.c

# C string text of s. Char by char: awks differ on backslashes in gsub.
function cstr(s,	out, c, i) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" || c == "\"")
			out = out "\\" c
		else if (c == "\t")
			out = out "\\t"
		else if (c == "?")
			out = out "\\?"	# no trigraphs
		else
			out = out c
	}
	return out
}

BEGIN {
	print "/* Made from hostlib.sh by hostlib.awk: do not edit. */"
	print "#include <stddef.h>"
	print ""
	print "#include \"actions/hostlib.h\""
	print ""
	print "const struct hv_hostfn hv_hostlib[] = {"
	name = ""
	n = 0
}

name == "" && /^hv_[a-z0-9_]+\(\) \{$/ {
	name = $0
	sub(/\(\).*/, "", name)
	printf "\t{ \"%s\",\n", name
	printf "\t    \"%s\\n\"\n", cstr($0)
	next
}

name != "" && /^\}$/ {
	print "\t    \"}\\n\" },"
	name = ""
	n++
	next
}

name != "" && /^[ \t]*#/ {
	next
}

name != "" {
	printf "\t    \"%s\\n\"\n", cstr($0)
}

END {
	if (name != "") {
		print "hostlib.awk: " name " does not end" > "/dev/stderr"
		exit 1
	}
	if (n == 0) {
		print "hostlib.awk: no function found" > "/dev/stderr"
		exit 1
	}
	print "\t{ NULL, NULL }"
	print "};"
}
