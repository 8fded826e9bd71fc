/*
 * test-experiment.c - from YAML on disk to the experiment model: load.c
 * (libyaml, anchors, limits), node.c (positions, diagnostics), expand.c
 * (${...}) and experiment.c (every check). Problems are compared as the
 * exact FILE:LINE:COLUMN: message lines a user sees, and `havoc validate`
 * itself is run on a file with three mistakes.
 *
 * Each test works in its own directory under /tmp, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"
#include "expand.h"
#include "experiment.h"
#include "node.h"
#include "util.h"

struct fixture {
	char	dir[64];
	char	path[PATH_MAX];		/* of the last file written */
};

static int
setup(void **state)
{
	struct fixture	*f;

	f = hv_xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/havoc-exp-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Removes the directory tree the test left behind. */
static void
remove_tree(const char *dir)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 p[PATH_MAX];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	remove_tree(f->dir);
	free(f);
	/* Secrets a test registered must not redact the next one's text. */
	hv_secrets_clear();
	return 0;
}

/* Writes name (which may hold one folder level) under the test folder. */
static const char *
write_file(struct fixture *f, const char *name, const char *text)
{
	FILE	*fp;
	char	*slash;

	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
	if ((slash = strrchr(f->path, '/')) != NULL &&
	    slash > f->path + strlen(f->dir)) {
		*slash = '\0';
		mkdir(f->path, 0700);
		*slash = '/';
	}
	if ((fp = fopen(f->path, "w")) == NULL)
		fail_msg("%s: %s", f->path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
	return f->path;
}

/* Loads text as name; the diagnostics stay in d for the caller. */
static struct hv_experiment *
load_opts(struct fixture *f, const char *name, const char *text,
    const struct hv_load_opts *o, struct hv_diag *d)
{
	hv_diag_init(d);
	return hv_experiment_load(write_file(f, name, text), o, d);
}

/* Loads text that must be valid; fails the test with the problems. */
static struct hv_experiment *
load_ok(struct fixture *f, const char *text, const struct hv_load_opts *o)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;

	x = load_opts(f, "exp.yaml", text, o, &d);
	if (x == NULL || d.count != 0)
		fail_msg("expected a valid file, got:\n%s", d.text.s);
	hv_diag_release(&d);
	return x;
}

/*
 * Loads text, which must fail with exactly the lines in want, each of
 * which is written without its "FILE:" prefix.
 */
static void
load_bad_o(struct fixture *f, const char *text, const struct hv_load_opts *o,
    const char *want)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;
	struct hv_buf		 exp = HV_BUF_INIT;
	const char		*p, *nl;
	int			 lines = 0;

	x = load_opts(f, "exp.yaml", text, o, &d);
	for (p = want; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			fail_msg("expected lines must end with \\n");
		hv_buf_printf(&exp, "%s:", f->path);
		hv_buf_add(&exp, p, (size_t)(nl - p) + 1);
		lines++;
	}
	if (strcmp(d.text.s, exp.s) != 0)
		fail_msg("got:\n%s\nexpected:\n%s", d.text.s, exp.s);
	assert_int_equal(d.count, lines);
	if (x != NULL)
		fail_msg("a file with problems was accepted");
	hv_buf_release(&exp);
	hv_diag_release(&d);
}

static void
load_bad(struct fixture *f, const char *text, const char *want)
{
	load_bad_o(f, text, NULL, want);
}

/* A step that is valid, for files that need a method. */
#define OK_METHOD	"method:\n  - pause: 1s\n"

/* Loading a whole valid file. */

static void
test_valid_file(void **state)
{
	static const char text[] =
	    "version: 1\n"
	    "title: A title\n"
	    "description: what it does\n"
	    "tags: [web, tier-1]\n"
	    "steady_state:\n"
	    "  - name: up\n"
	    "    probe: local\n"
	    "    with: {command: [true], timeout: 2s}\n"
	    "    expect: {exit_code: 0, latency_below: 1s}\n"
	    "method:\n"
	    "  - name: break it\n"
	    "    action: local.run\n"
	    "    with: {command: [touch, x], revert: [rm, x]}\n"
	    "    duration: 30s\n"
	    "    background: true\n"
	    "  - pause: 2s\n"
	    "  - probe: tcp\n"
	    "    with: {host: 127.0.0.1, port: 1}\n"
	    "    expect: {connect: false}\n"
	    "watch: {every: 250ms, probes: [up], after: 5s}\n"
	    "alerts:\n"
	    "  - name: fired\n"
	    "    probe: http\n"
	    "    with: {url: 'http://127.0.0.1:9093/'}\n"
	    "    within: 1m\n"
	    "rollbacks:\n"
	    "  - action: local.run\n"
	    "    with: {command: [rm, -f, x]}\n"
	    "safety:\n"
	    "  max_targets: 3\n"
	    "  abort_when: {probe: up, failing_for: 20s}\n"
	    "  dead_man: 10m\n";
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	char			 sha[65];

	x = load_ok(f, text, NULL);
	assert_string_equal(x->title, "A title");
	assert_string_equal(x->description, "what it does");
	assert_int_equal(x->ntags, 2);
	assert_string_equal(x->tags[1], "tier-1");
	assert_string_equal(x->path, f->path);
	/* The folder is absolute, for relative paths and `havoc recover`. */
	assert_int_equal(x->dir[0], '/');
	assert_non_null(strstr(f->dir, "havoc-exp-"));
	assert_non_null(strstr(x->dir, strrchr(f->dir, '/') + 1));
	hv_sha256_hex(text, strlen(text), sha);
	assert_string_equal(x->sha256, sha);

	assert_int_equal(x->nsteady, 1);
	assert_string_equal(x->steady[0].name, "up");
	assert_int_equal(x->steady[0].kind, HV_STEP_PROBE);
	assert_ptr_equal(x->steady[0].driver, hv_driver_find("local"));
	assert_non_null(x->steady[0].expect);
	assert_int_equal(x->nmethod, 3);
	assert_int_equal(x->method[0].kind, HV_STEP_ACTION);
	assert_int_equal(x->method[0].duration_ms, 30000);
	assert_true(x->method[0].background);
	assert_int_equal(x->method[0].group, -1);
	assert_int_equal(x->method[1].kind, HV_STEP_PAUSE);
	assert_int_equal(x->method[1].pause_ms, 2000);
	assert_string_equal(x->method[1].name, "pause 2s");
	/* Unnamed steps are named after their driver. */
	assert_string_equal(x->method[2].name, "tcp");
	assert_int_equal(x->nwatch, 1);
	assert_int_equal(x->watch[0], 0);
	assert_int_equal(x->watch_every_ms, 250);
	assert_int_equal(x->watch_after_ms, 5000);
	assert_int_equal(x->nalerts, 1);
	assert_int_equal(x->alerts[0].within_ms, 60000);
	assert_int_equal(x->alerts[0].poll_ms, 1000);
	assert_int_equal(x->nrollbacks, 1);
	assert_int_equal(x->max_targets, 3);
	assert_int_equal(x->abort_probe, 0);
	assert_int_equal(x->abort_failing_ms, 20000);
	assert_int_equal(x->dead_man_ms, 600000);
	hv_experiment_free(x);
}

static void
test_defaults(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;

	x = load_ok(f, OK_METHOD, NULL);
	/* Without a title, the file's name. */
	assert_string_equal(x->title, "exp.yaml");
	assert_int_equal(x->version, 1);
	assert_int_equal(x->max_targets, 0);
	assert_int_equal(x->abort_probe, -1);
	assert_int_equal(x->dead_man_ms, 0);
	assert_int_equal(x->watch_every_ms, 0);
	assert_int_equal(x->inv->nhosts, 0);
	hv_experiment_free(x);
}

/* YAML-level problems. */

static void
test_yaml_syntax_error(void **state)
{
	struct fixture	*f = *state;

	load_bad(f,
	    "method:\n  - action: local.run\n    with: {command: [true]\n",
	    "4:1: yaml: did not find expected ',' or '}' while parsing a "
	    "flow mapping\n");
	load_bad(f, "title: a\n  bad: indent\n" OK_METHOD,
	    "2:6: yaml: mapping values are not allowed in this context\n");
	load_bad(f, "title: \"unterminated\n",
	    "2:1: yaml: found unexpected end of stream while scanning a "
	    "quoted scalar\n");
}

static void
test_yaml_duplicate_key(void **state)
{
	struct fixture	*f = *state;

	/* A soft error: the rest is checked, and the file still fails. */
	load_bad(f, "title: a\ntitle: b\n" OK_METHOD,
	    "2:1: duplicate key \"title\" (first at line 1)\n");
	load_bad(f, "method:\n  - pause: 1s\n    name: x\n    pause: 2s\n",
	    "4:5: duplicate key \"pause\" (first at line 2)\n");
	load_bad(f, "method:\n  - {pause: 1s, name: a, name: b}\n",
	    "2:26: duplicate key \"name\" (first at line 2)\n");
	/* Both the duplicate and a later mistake are reported. */
	load_bad(f, "title: a\ntitle: b\nmethod:\n  - pause: 5x\n",
	    "2:1: duplicate key \"title\" (first at line 1)\n"
	    "4:12: step.pause: \"5x\" is not a duration (like 250ms, 5s, 2m, "
	    "1h)\n");
}

static void
test_yaml_structure(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "", "1:1: the file is empty\n");
	load_bad(f, "# only a comment\n", "1:1: the file is empty\n");
	load_bad(f, "- pause: 1s\n",
	    "1:1: an experiment must be a map, not a list\n");
	load_bad(f, "just words\n",
	    "1:1: an experiment must be a map, not a scalar\n");
	load_bad(f, OK_METHOD "---\ntitle: two\n",
	    "3:1: only one YAML document is allowed\n");
	load_bad(f, "? [a, b]\n: c\n" OK_METHOD,
	    "1:3: a key must be a string, not a list\n");
	load_bad(f, "title: *nowhere\n" OK_METHOD,
	    "1:8: yaml: unknown anchor *nowhere\n");
	load_bad(f, "title: \"a\\0b\"\n" OK_METHOD,
	    "1:8: a NUL character is not allowed in a value\n");
	load_bad(f, "version: 1\n",
	    "1:1: an experiment needs a method: with at least one step\n");
	load_bad(f, "version: 2\n" OK_METHOD,
	    "1:10: version 2 is not supported (this havoc reads version 1)\n");
}

static void
test_missing_file(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;
	char			 path[PATH_MAX], *want;

	snprintf(path, sizeof path, "%s/nothing.yaml", f->dir);
	hv_diag_init(&d);
	x = hv_experiment_load(path, NULL, &d);
	assert_null(x);
	assert_int_equal(d.count, 1);
	want = hv_xasprintf("%s:1:1: cannot read the file (%s: No such file "
	    "or directory)\n", path, path);
	assert_string_equal(d.text.s, want);
	free(want);
	hv_diag_release(&d);
}

static void
test_yaml_anchors_and_merge(void **state)
{
	static const char text[] =
	    "method:\n"
	    "  - &base\n"
	    "    name: first\n"
	    "    action: local.run\n"
	    "    with: &with {command: [echo, one], timeout: 5s}\n"
	    "  - <<: *base\n"
	    "    name: second\n"
	    "  - <<: [*base]\n"
	    "    name: third\n"
	    "    with: {<<: *with, command: [echo, three]}\n"
	    "  - {action: local.run, with: *with, name: fourth}\n";
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	const struct hv_node	*cmd;

	x = load_ok(f, text, NULL);
	assert_int_equal(x->nmethod, 4);
	assert_string_equal(x->method[0].name, "first");
	/* The map's own keys win over merged ones. */
	assert_string_equal(x->method[1].name, "second");
	assert_ptr_equal(x->method[1].driver, hv_driver_find("local.run"));
	cmd = hv_node_get(x->method[1].with, "command");
	assert_string_equal(cmd->items[1]->str, "one");
	/* Merged keys the map has already are dropped, not repeated. */
	assert_int_equal(x->method[1].where->n, 3);
	assert_string_equal(x->method[2].name, "third");
	assert_int_equal(x->method[2].where->n, 3);
	assert_int_equal(x->method[2].with->n, 2);
	cmd = hv_node_get(x->method[2].with, "command");
	assert_string_equal(cmd->items[1]->str, "three");
	assert_string_equal(hv_node_get(x->method[2].with, "timeout")->str,
	    "5s");
	assert_string_equal(x->method[3].name, "fourth");
	cmd = hv_node_get(x->method[3].with, "command");
	assert_string_equal(cmd->items[1]->str, "one");
	hv_experiment_free(x);
}

static void
test_yaml_alias_positions(void **state)
{
	struct fixture	*f = *state;

	/* A mistake used twice is reported where each use is. */
	load_bad(f,
	    "method:\n"
	    "  - action: local.run\n"
	    "    with: {command: [true], timeout: &t 5x}\n"
	    "  - action: local.run\n"
	    "    with: {command: [true], timeout: *t}\n",
	    "3:38: local.run: timeout: \"5x\" is not a duration (like 250ms, "
	    "5s, 2m, 1h)\n"
	    "5:38: local.run: timeout: \"5x\" is not a duration (like 250ms, "
	    "5s, 2m, 1h)\n");
	load_bad(f, "method:\n  - pause: 1s\n  - <<: 5\n    pause: 2s\n",
	    "3:9: << merges a map or a list of maps, not a scalar\n");
}

static void
test_yaml_billion_laughs(void **state)
{
	static const char text[] =
	    "method:\n"
	    "  - pause: 1s\n"
	    "    name: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	    "  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "  - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "  - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "  - &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "  - &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	    "  - &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	    "  - &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	struct fixture	*f = *state;
	int64_t		 t0 = hv_mono_ms();

	load_bad(f, text,
	    "8:9: yaml: aliases expand to more than 200000 nodes\n");
	/* Refused quickly, not after building the tree. */
	assert_true(hv_mono_ms() - t0 < 5000);
}

static void
test_yaml_limits(void **state)
{
	struct fixture	*f = *state;
	struct hv_buf	 b = HV_BUF_INIT;
	int		 i;

	/* Nesting deep enough to exhaust a recursive parser's stack. */
	hv_buf_puts(&b, OK_METHOD "description: ");
	for (i = 0; i < 100; i++)
		hv_buf_putc(&b, '[');
	for (i = 0; i < 100; i++)
		hv_buf_putc(&b, ']');
	hv_buf_putc(&b, '\n');
	load_bad(f, b.s, "3:78: yaml: nested more than 64 levels deep\n");
	hv_buf_release(&b);
}

/* Keys and types. */

static void
test_unknown_keys(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "stedy_state: []\n" OK_METHOD,
	    "1:1: unknown key \"stedy_state\" in an experiment (did you mean "
	    "\"steady_state\"?)\n");
	load_bad(f, "colour: red\n" OK_METHOD,
	    "1:1: unknown key \"colour\" in an experiment (did you mean "
	    "\"cloud\"?)\n");
	/* Exact names only: no case folding. */
	load_bad(f, "Title: x\n" OK_METHOD,
	    "1:1: unknown key \"Title\" in an experiment (did you mean "
	    "\"title\"?)\n");
	load_bad(f, "method:\n  - pause: 1s\n    backgroud: true\n",
	    "3:5: unknown key \"backgroud\" in a step (did you mean "
	    "\"background\"?)\n");
	load_bad(f, "method:\n  - pause: 1s\n    colour: red\n",
	    "3:5: unknown key \"colour\" in a step\n");
	load_bad(f, OK_METHOD "safety: {max_target: 3}\n",
	    "3:10: unknown key \"max_target\" in safety (did you mean "
	    "\"max_targets\"?)\n");
	load_bad(f, OK_METHOD "ssh: {usr: root}\n",
	    "3:7: unknown key \"usr\" in ssh (did you mean \"user\"?)\n");
}

static void
test_wrong_types(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "method:\n  pause: 1s\n",
	    "2:3: method must be a list, not a map\n");
	load_bad(f, OK_METHOD "safety: [1]\n",
	    "3:9: safety must be a map, not a list\n");
	load_bad(f, OK_METHOD "steady_state: {name: x}\n",
	    "3:15: steady_state must be a list, not a map\n");
	load_bad(f, OK_METHOD "title: [a, b]\n",
	    "3:8: experiment.title must be a string, not a list\n");
	load_bad(f, "method:\n  - [pause, 1s]\n",
	    "2:5: a step must be a map, not a list\n");
	load_bad(f, "method:\n  -\n  - pause: 1s\n",
	    "2:4: an empty step in method\n");
	load_bad(f, "method:\n  - action: local.run\n    with: [true]\n",
	    "3:11: local.run: expected a map of parameters, not a list\n");
	load_bad(f, "method:\n  - action: [local.run]\n",
	    "2:13: action must be a driver name, not a list\n");
	load_bad(f, OK_METHOD "safety: {max_targets: lots}\n",
	    "3:23: safety.max_targets: \"lots\" is not an integer from 1 to "
	    "1000000\n");
	load_bad(f, OK_METHOD "tags: {a: b}\n",
	    "3:7: experiment.tags must be a list of strings, not a map\n");
	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: [true]}\n    background: maybe\n",
	    "4:17: step.background: \"maybe\" is not true or false\n");
}

static void
test_bad_durations(void **state)
{
	struct fixture	*f = *state;

	load_bad(f,
	    "method:\n"
	    "  - action: local.run\n"
	    "    with: {command: [touch, x], revert: [rm, x]}\n"
	    "    duration: 5x\n",
	    "4:15: step.duration: \"5x\" is not a duration (like 250ms, 5s, "
	    "2m, 1h)\n");
	load_bad(f,
	    "method:\n"
	    "  - action: http.request\n"
	    "    with: {url: 'http://127.0.0.1/', timeout: 5x}\n",
	    "3:47: http.request: timeout: \"5x\" is not a duration (like "
	    "250ms, 5s, 2m, 1h)\n");
	load_bad(f, "method:\n  - pause: soon\n",
	    "2:12: step.pause: \"soon\" is not a duration (like 250ms, 5s, 2m, "
	    "1h)\n");
	load_bad(f, OK_METHOD "safety: {dead_man: 0}\n",
	    "3:20: safety.dead_man must be more than 0\n");
	load_bad(f, OK_METHOD
	    "steady_state:\n"
	    "  - {name: p, probe: local, with: {command: [true]}}\n"
	    "watch: {every: 10ms, probes: [p]}\n",
	    "5:16: watch.every must be at least 100ms\n");
}

/* Drivers and their parameters. */

static void
test_unknown_driver(void **state)
{
	struct fixture	*f = *state;

	load_bad(f,
	    "method:\n  - action: local.rnu\n    with: {command: [x]}\n",
	    "2:13: unknown action \"local.rnu\" (did you mean "
	    "\"local.run\"?)\n");
	load_bad(f, "method:\n  - action: teleport.host\n",
	    "2:13: unknown action \"teleport.host\" (havoc drivers lists "
	    "them)\n");
	/* Exact names only, even when the case is all that differs. */
	load_bad(f, "method:\n  - action: LOCAL.RUN\n",
	    "2:13: unknown action \"LOCAL.RUN\" (havoc drivers lists them)\n");
	load_bad(f, "method:\n  - probe: htp\n    with: {url: 'http://x/'}\n",
	    "2:12: unknown probe \"htp\" (did you mean \"http\"?)\n");
}

static void
test_driver_kind_mismatch(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "method:\n  - action: local\n    with: {command: [x]}\n",
	    "2:13: local is a probe, not an action\n");
	load_bad(f, "method:\n  - action: http\n    with: {url: 'http://x/'}\n",
	    "2:13: http is a probe, not an action\n");
	load_bad(f,
	    "steady_state:\n"
	    "  - name: p\n"
	    "    probe: local.run\n"
	    "    with: {command: [x]}\n" OK_METHOD,
	    "3:12: local.run is an action, not a probe\n");
	load_bad(f,
	    "steady_state:\n"
	    "  - {name: p, action: local.run, with: {command: [x]}}\n"
	    OK_METHOD,
	    "2:5: steady_state holds probes, not actions or pauses\n");
	/* A pause is no probe: watch: would sample it. */
	load_bad(f, "steady_state:\n  - {name: p, pause: 1s}\n" OK_METHOD,
	    "2:5: steady_state holds probes, not actions or pauses\n");
	load_bad(f, OK_METHOD
	    "rollbacks:\n  - {probe: local, with: {command: [x]}}\n",
	    "4:5: rollbacks hold actions and pauses, not probes\n");
	load_bad(f,
	    "method:\n"
	    "  - action: local.run\n"
	    "    with: {command: [x]}\n"
	    "    expect: {exit_code: 0}\n",
	    "4:5: expect: belongs to a probe, not an action\n");
}

static void
test_driver_params(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "method:\n  - action: http.request\n"
	    "    with: {urll: 'http://x/'}\n",
	    "3:12: http.request: unknown parameter \"urll\" (did you mean "
	    "\"url\"?)\n"
	    "3:11: http.request: missing required parameter \"url\"\n");
	load_bad(f, "method:\n  - action: local.run\n",
	    "2:5: local.run: missing required parameter \"command\"\n");
	load_bad(f, "method:\n  - action: local.run\n    with: {command: }\n",
	    "3:11: local.run: missing required parameter \"command\"\n");
	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: echo hi}\n",
	    "3:21: local.run: command must be a list, not a scalar\n");
	load_bad(f,
	    "steady_state:\n"
	    "  - name: p\n"
	    "    probe: tcp\n"
	    "    with: {host: h, port: http}\n"
	    "    expect: {conect: true}\n" OK_METHOD,
	    "4:27: tcp: port: \"http\" is not an integer\n"
	    "5:14: tcp: unknown parameter \"conect\" (did you mean "
	    "\"connect\"?)\n");
	/* The driver's own check hook runs at load time. */
	load_bad(f, "method:\n  - action: local.run\n    with: {command: []}\n",
	    "2:5: local.run: command is an empty list\n");
}

static void
test_on_and_targets(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;

	load_bad(f,
	    "method:\n"
	    "  - action: local.run\n"
	    "    on: nogroup\n"
	    "    with: {command: [x]}\n",
	    "3:9: on: no target group \"nogroup\" in targets\n"
	    "3:5: on: is not allowed for local.run, which takes no target\n");
	load_bad(f,
	    "hosts: {h1: 10.0.0.1}\n"
	    "targets: {all: {hosts: [h1]}}\n"
	    "method:\n"
	    "  - action: local.run\n"
	    "    on: all\n"
	    "    with: {command: [x]}\n",
	    "5:5: on: is not allowed for local.run, which takes no target\n");
	load_bad(f, "method:\n  - pause: 1s\n    on: all\n",
	    "2:5: a pause takes no on:, with:, expect:, duration: or "
	    "background:\n");
	/* With a revert, a duration is fine. */
	x = load_ok(f, "method:\n  - action: http.request\n"
	    "    with: {url: 'http://127.0.0.1/', revert_url: "
	    "'http://127.0.0.1/undo'}\n    duration: 30s\n", NULL);
	assert_int_equal(x->method[0].duration_ms, 30000);
	hv_experiment_free(x);
	load_bad(f, "method:\n  - pause: 1s\n    duration: 5s\n",
	    "2:5: a pause takes no on:, with:, expect:, duration: or "
	    "background:\n");
}

/* With a driver that runs on targets (skipped until there is one). */
#define TWO_WEB							\
	"hosts:\n"							\
	"  web-1: {address: 10.0.0.1, tags: [web]}\n"			\
	"  web-2: {address: 10.0.0.2, tags: [web]}\n"			\
	"targets:\n"							\
	"  web: {tags: [web], pick: 1}\n"

static const struct hv_node *with_of(const struct hv_step *, const char *);

static void
test_on_ssh_driver(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	const struct hv_driver	*d = hv_driver_find("process.kill");
	const struct hv_node	*n;

	if (d == NULL || d->target != HV_TARGET_REQUIRED)
		skip();
	x = load_ok(f, TWO_WEB
	    "method:\n"
	    "  - action: process.kill\n"
	    "    on: web\n"
	    "    with: {pattern: \"nginx: ${target.name}\"}\n", NULL);
	assert_int_equal(x->method[0].group, 0);
	n = with_of(&x->method[0], "pattern");
	assert_true(n->deferred);
	assert_string_equal(n->str, "nginx: ${target.name}");
	hv_experiment_free(x);
	/* Whether it is a fault is only known per target: not refused. */
	x = load_ok(f, TWO_WEB
	    "method:\n"
	    "  - action: process.kill\n"
	    "    on: web\n"
	    "    with: {name: nginx, signal: \"${target.tags}\"}\n"
	    "    duration: 5s\n", NULL);
	assert_int_equal(x->method[0].duration_ms, 5000);
	hv_experiment_free(x);
	load_bad(f, TWO_WEB
	    "method:\n"
	    "  - action: process.kill\n"
	    "    with: {name: nginx}\n",
	    "7:5: process.kill needs on: (a target group)\n");
	load_bad(f, TWO_WEB
	    "method:\n"
	    "  - action: process.kill\n"
	    "    on: db\n"
	    "    with: {name: nginx}\n",
	    "8:9: on: no target group \"db\" in targets\n");
	load_bad(f,
	    "targets:\n  web: {tags: [web]}\n"
	    "method:\n"
	    "  - action: process.kill\n"
	    "    on: web\n"
	    "    with: {name: nginx}\n",
	    "2:3: target group \"web\": there are no hosts (add inventory: or "
	    "hosts:)\n");
}

static void
test_probe_references(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "watch: {probes: [homepag]}\n" OK_METHOD,
	    "1:18: watch: no probe \"homepag\" in steady_state\n");
	load_bad(f, "watch: {probes: homepag}\n" OK_METHOD,
	    "1:17: watch: no probe \"homepag\" in steady_state\n");
	load_bad(f, "steady_state:\n"
	    "  - {name: homepage, probe: local, with: {command: [true]}}\n"
	    OK_METHOD "watch: {probes: [homepag, nothing]}\n",
	    "5:18: watch: no probe \"homepag\" in steady_state (did you mean "
	    "\"homepage\"?)\n"
	    "5:27: watch: no probe \"nothing\" in steady_state\n");
	load_bad(f, "steady_state:\n"
	    "  - {name: homepage, probe: local, with: {command: [true]}}\n"
	    OK_METHOD "safety: {abort_when: {probe: hompage}}\n",
	    "5:30: abort_when: no probe \"hompage\" in steady_state (did you "
	    "mean \"homepage\"?)\n");
	load_bad(f, OK_METHOD "watch: {every: 1s}\n",
	    "3:8: watch needs probes: (names from steady_state)\n");
	load_bad(f, "steady_state:\n"
	    "  - {name: a, probe: local, with: {command: [true]}}\n"
	    "  - {name: a, probe: local, with: {command: [true]}}\n"
	    OK_METHOD,
	    "3:5: probe name \"a\" is used twice\n");
}

static void
test_pick_values(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "hosts: {h: 10.0.0.1}\n"
	    "targets: {a: {hosts: [h], pick: 0}}\n" OK_METHOD,
	    "2:33: pick: \"0\" is not all, a count (1 or more) or a "
	    "percentage like \"30%\"\n");
	load_bad(f, "hosts: {h: 10.0.0.1}\n"
	    "targets: {a: {hosts: [h], pick: \"150%\"}}\n" OK_METHOD,
	    "2:33: pick: \"150%\" is not a percentage from 1% to 100%\n");
	load_bad(f, "hosts: {h: 10.0.0.1}\n"
	    "targets: {a: {hosts: [h], pick: 0%}}\n" OK_METHOD,
	    "2:33: pick: \"0%\" is not a percentage from 1% to 100%\n");
	load_bad(f, "hosts: {h: 10.0.0.1}\n"
	    "targets: {a: {hosts: [h], pick: -1}}\n" OK_METHOD,
	    "2:33: pick: \"-1\" is not all, a count (1 or more) or a "
	    "percentage like \"30%\"\n");
	load_bad(f, "hosts: {h: 10.0.0.1}\n"
	    "targets: {a: {hosts: [h], pick: some}}\n" OK_METHOD,
	    "2:33: pick: \"some\" is not all, a count (1 or more) or a "
	    "percentage like \"30%\"\n");
	load_bad(f, "hosts: {h: 10.0.0.1}\n"
	    "targets: {a: {hosts: [h], pick: [1]}}\n" OK_METHOD,
	    "2:33: pick must be all, a count or a percentage, not a list\n");
}

static void
test_pick_parsed(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;

	x = load_ok(f, "hosts: {h: 10.0.0.1}\n"
	    "targets:\n"
	    "  a: {hosts: [h]}\n"
	    "  b: {hosts: [h], pick: all}\n"
	    "  c: {hosts: [h], pick: 2}\n"
	    "  d: {hosts: [h], pick: \"30%\"}\n"
	    "  e: {hosts: [h], pick: 100%}\n" OK_METHOD, NULL);
	assert_int_equal(x->ngroups, 5);
	assert_int_equal(x->groups[0].pick, HV_PICK_ALL);
	assert_int_equal(x->groups[1].pick, HV_PICK_ALL);
	assert_int_equal(x->groups[2].pick, HV_PICK_COUNT);
	assert_int_equal(x->groups[2].pick_n, 2);
	assert_int_equal(x->groups[3].pick, HV_PICK_PERCENT);
	assert_int_equal(x->groups[3].pick_n, 30);
	assert_int_equal(x->groups[4].pick, HV_PICK_PERCENT);
	assert_int_equal(x->groups[4].pick_n, 100);
	assert_int_equal(hv_experiment_group(x, "c"), 2);
	assert_int_equal(hv_experiment_group(x, "z"), -1);
	hv_experiment_free(x);
}

static void
test_step_shape(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "method:\n  - action: local.run\n    pause: 1s\n"
	    "    with: {command: [x]}\n",
	    "2:5: a step needs exactly one of action:, probe: or pause:\n");
	load_bad(f, "method:\n  - name: nothing\n",
	    "2:5: a step needs exactly one of action:, probe: or pause:\n");
	load_bad(f, "method:\n  - probe: local\n    with: {command: [x]}\n"
	    "    duration: 5s\n",
	    "4:15: duration: belongs to an action\n");
	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: [x], revert: [y]}\n    background: true\n",
	    "4:17: background: needs a duration:\n");
	/* Nothing to revert when the duration ends: a rollback's job. */
	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: [x]}\n    duration: 30s\n",
	    "4:15: local.run cannot be reverted with these parameters, so it "
	    "takes no duration: (add a rollback instead)\n");
	load_bad(f, "method:\n  - action: http.request\n"
	    "    with: {url: 'http://127.0.0.1/'}\n    duration: 30s\n",
	    "4:15: http.request cannot be reverted with these parameters, so "
	    "it takes no duration: (add a rollback instead)\n");
	load_bad(f, OK_METHOD "alerts:\n  - {name: a, probe: local, "
	    "with: {command: [x]}}\n",
	    "4:5: an alert needs within: (how soon it must fire)\n");
	load_bad(f, OK_METHOD "alerts:\n  - {name: a, within: 1m}\n",
	    "4:5: an alert needs probe: (such as alertmanager)\n");
}

/* The issue's "done when": three mistakes, three lines. */
static const char three_mistakes[] =
    "stedy_state:\n"
    "  - name: up\n"
    "    probe: local\n"
    "    with: {command: [true]}\n"
    "method:\n"
    "  - name: break\n"
    "    action: local.rnu\n"
    "    with: {command: [true]}\n"
    "  - name: wait\n"
    "    action: http.request\n"
    "    with: {url: 'http://127.0.0.1/', timeout: 5x}\n";

static void
test_three_mistakes(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, three_mistakes,
	    "1:1: unknown key \"stedy_state\" in an experiment (did you mean "
	    "\"steady_state\"?)\n"
	    "7:13: unknown action \"local.rnu\" (did you mean \"local.run\"?)\n"
	    "11:47: http.request: timeout: \"5x\" is not a duration (like "
	    "250ms, 5s, 2m, 1h)\n");
}

/* The havoc binary next to this test's build folder. */
static void
havoc_path(char *out, size_t len)
{
	char	exe[PATH_MAX], *dir;
	ssize_t	n;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		dir = dirname(exe);
		snprintf(out, len, "%s/../havoc", dir);
		if (access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "build/havoc");
}

/* Runs havoc with args; stdout and stderr (new) and the exit status. */
static int
run_havoc(char *const args[], char **out, char **err)
{
	char		 bin[PATH_MAX], *argv[8], buf[4096];
	struct hv_buf	 o = HV_BUF_INIT, e = HV_BUF_INIT;
	int		 po[2], pe[2], status, i;
	ssize_t		 n;
	pid_t		 pid;

	havoc_path(bin, sizeof bin);
	argv[0] = bin;
	for (i = 0; args[i] != NULL && i < 6; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe(po) == -1 || pipe(pe) == -1)
		fail_msg("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		unsetenv("NO_COLOR");
		execv(bin, argv);
		dprintf(2, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Small outputs: reading one pipe then the other cannot block. */
	while ((n = read(po[0], buf, sizeof buf)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			hv_buf_add(&o, buf, (size_t)n);
	while ((n = read(pe[0], buf, sizeof buf)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0)
			hv_buf_add(&e, buf, (size_t)n);
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	*out = hv_buf_detach(&o);
	*err = hv_buf_detach(&e);
	if (!WIFEXITED(status))
		fail_msg("havoc died with status %d:\n%s", status, *err);
	return WEXITSTATUS(status);
}

static void
test_validate_binary(void **state)
{
	struct fixture	*f = *state;
	struct hv_buf	 want = HV_BUF_INIT;
	char		*args[4], *out, *err, *path;
	int		 rc;

	path = hv_xstrdup(write_file(f, "three.yaml", three_mistakes));
	args[0] = "validate";
	args[1] = path;
	args[2] = NULL;
	rc = run_havoc(args, &out, &err);
	hv_buf_printf(&want,
	    "%s:1:1: unknown key \"stedy_state\" in an experiment (did you "
	    "mean \"steady_state\"?)\n"
	    "%s:7:13: unknown action \"local.rnu\" (did you mean "
	    "\"local.run\"?)\n"
	    "%s:11:47: http.request: timeout: \"5x\" is not a duration (like "
	    "250ms, 5s, 2m, 1h)\n"
	    "havoc: 3 problems in %s\n", path, path, path, path);
	assert_string_equal(err, want.s);
	assert_string_equal(out, "");
	assert_int_equal(rc, 65);
	free(out);
	free(err);
	free(path);

	/* A duplicate key alone is enough to refuse the file. */
	path = hv_xstrdup(write_file(f, "dup.yaml",
	    "title: a\ntitle: b\n" OK_METHOD));
	args[1] = path;
	rc = run_havoc(args, &out, &err);
	hv_buf_reset(&want);
	hv_buf_printf(&want, "%s:2:1: duplicate key \"title\" (first at line "
	    "1)\nhavoc: 1 problem in %s\n", path, path);
	assert_string_equal(err, want.s);
	assert_string_equal(out, "");
	assert_int_equal(rc, 65);
	free(out);
	free(err);
	free(path);

	/* A good file and a bad one: both looked at, 65 overall. */
	path = hv_xstrdup(write_file(f, "good.yaml", OK_METHOD));
	args[1] = path;
	rc = run_havoc(args, &out, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	hv_buf_reset(&want);
	hv_buf_printf(&want, "%s: ok (1 steps, 0 hosts)\n", path);
	assert_string_equal(out, want.s);
	free(out);
	free(err);
	args[2] = hv_xasprintf("%s/three.yaml", f->dir);
	args[3] = NULL;
	rc = run_havoc(args, &out, &err);
	assert_int_equal(rc, 65);
	assert_string_equal(out, want.s);
	assert_non_null(strstr(err, "havoc: 3 problems in "));
	free(out);
	free(err);
	free(args[2]);
	free(path);
	hv_buf_release(&want);
}

/* Variables. */

static const struct hv_node *
with_of(const struct hv_step *s, const char *key)
{
	const struct hv_node	*n = hv_node_get(s->with, key);

	if (n == NULL)
		fail_msg("no %s in with:", key);
	return n;
}

static void
test_vars(void **state)
{
	static const char text[] =
	    "vars:\n"
	    "  host: web.example\n"
	    "  port: \"8080\"\n"
	    "  site: \"http://${host}:${port}\"\n"
	    "  page: \"${site}/index.html\"\n"
	    "  price: \"$$5 and $HOME and a lone $\"\n"
	    "method:\n"
	    "  - action: http.request\n"
	    "    with: {url: \"${page}\", body: \"${price}\"}\n"
	    "    name: \"get ${host}\"\n";
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	const struct hv_node	*url;

	x = load_ok(f, text, NULL);
	url = with_of(&x->method[0], "url");
	assert_string_equal(url->str, "http://web.example:8080/index.html");
	assert_string_equal(url->shown, "http://web.example:8080/index.html");
	assert_string_equal(url->raw, "${page}");
	assert_false(url->secret);
	assert_false(url->deferred);
	assert_string_equal(with_of(&x->method[0], "body")->str,
	    "$5 and $HOME and a lone $");
	assert_string_equal(x->method[0].name, "get web.example");
	assert_int_equal(x->nvars, 5);
	assert_string_equal(x->vars[2].name, "site");
	assert_string_equal(x->vars[2].str, "http://web.example:8080");
	hv_experiment_free(x);
}

static void
test_var_overrides(void **state)
{
	static const char text[] =
	    "vars:\n"
	    "  port: \"8080\"\n"
	    "  site: \"http://h:${port}\"\n"
	    "method:\n"
	    "  - action: http.request\n"
	    "    with: {url: \"${site}/\", body: \"${extra}\"}\n";
	static const char *over[] = { "port=9090", "extra=${port}", "port=1" };
	struct hv_load_opts	 o = { over, 3, NULL, NULL };
	struct fixture		*f = *state;
	struct hv_experiment	*x;

	/* --var wins, the last one of a name wins, and the file's vars
	 * built on it change with it. --var values are literal. */
	x = load_ok(f, text, &o);
	assert_string_equal(with_of(&x->method[0], "url")->str,
	    "http://h:1/");
	assert_string_equal(with_of(&x->method[0], "body")->str, "${port}");
	hv_experiment_free(x);
	/* Without --var extra, ${extra} is unknown. */
	load_bad(f, text,
	    "6:35: unknown variable ${extra}\n");
}

static void
test_var_override_malformed(void **state)
{
	static const char *over[] = { "novalue", "=x" };
	struct hv_load_opts	 o = { over, 2, NULL, NULL };
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;

	x = load_opts(f, "exp.yaml", OK_METHOD, &o, &d);
	assert_null(x);
	assert_string_equal(d.text.s,
	    "--var:1:1: expected NAME=VALUE, not \"novalue\"\n"
	    "--var:1:1: expected NAME=VALUE, not \"=x\"\n");
	hv_diag_release(&d);
}

static void
test_var_errors(void **state)
{
	struct fixture	*f = *state;

	unsetenv("HAVOC_TEST_UNSET");
	load_bad(f, "title: \"${nope}\"\n" OK_METHOD,
	    "1:8: unknown variable ${nope}\n");
	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: [echo, ok, \"${nope}\"]}\n",
	    "3:32: unknown variable ${nope}\n");
	/* Only the variables before it. */
	load_bad(f, "vars:\n  a: \"${b}\"\n  b: x\n" OK_METHOD,
	    "2:6: vars.a: unknown variable ${b}\n");
	load_bad(f, "vars:\n  a: \"${env.HAVOC_TEST_UNSET}\"\n" OK_METHOD,
	    "2:6: vars.a: environment variable HAVOC_TEST_UNSET is not set\n");
	load_bad(f, "title: \"${env.HAVOC_TEST_UNSET}\"\n" OK_METHOD,
	    "1:8: environment variable HAVOC_TEST_UNSET is not set\n");
	load_bad(f, "title: \"${open\"\n" OK_METHOD,
	    "1:8: unterminated ${ in \"${open\"\n");
	load_bad(f, "title: \"${a b}\"\n" OK_METHOD,
	    "1:8: bad variable name \"a b\"\n");
	load_bad(f, "title: \"${}\"\n" OK_METHOD,
	    "1:8: bad variable name \"\"\n");
	load_bad(f, "vars:\n  a: [1]\n" OK_METHOD,
	    "2:6: vars.a must be a string, not a list\n");
	load_bad(f, "vars: [a]\n" OK_METHOD,
	    "1:7: vars must be a map, not a list\n");
}

static void
test_env_secret(void **state)
{
	static const char text[] =
	    "vars:\n"
	    "  token: \"${env.HAVOC_TEST_TOKEN}\"\n"
	    "  auth: \"Bearer ${token}\"\n"
	    "method:\n"
	    "  - action: http.request\n"
	    "    with:\n"
	    "      url: \"http://h/?t=${env.HAVOC_TEST_TOKEN}\"\n"
	    "      bearer: \"${auth}\"\n"
	    "      body: plain\n";
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	const struct hv_node	*n;

	setenv("HAVOC_TEST_TOKEN", "s3cr3t", 1);
	x = load_ok(f, text, NULL);
	assert_string_equal(x->vars[0].str, "s3cr3t");
	assert_string_equal(x->vars[0].shown, "${env.HAVOC_TEST_TOKEN}");
	assert_true(x->vars[0].secret);
	/* A variable built on a secret is a secret too. */
	assert_string_equal(x->vars[1].str, "Bearer s3cr3t");
	assert_string_equal(x->vars[1].shown, "Bearer ${env.HAVOC_TEST_TOKEN}");
	assert_true(x->vars[1].secret);
	n = with_of(&x->method[0], "url");
	assert_string_equal(n->str, "http://h/?t=s3cr3t");
	assert_string_equal(n->shown, "http://h/?t=${env.HAVOC_TEST_TOKEN}");
	assert_true(n->secret);
	n = with_of(&x->method[0], "bearer");
	assert_string_equal(n->str, "Bearer s3cr3t");
	assert_string_equal(n->shown, "Bearer ${env.HAVOC_TEST_TOKEN}");
	assert_true(n->secret);
	n = with_of(&x->method[0], "body");
	assert_false(n->secret);
	assert_string_equal(n->shown, "plain");
	hv_experiment_free(x);
	unsetenv("HAVOC_TEST_TOKEN");
}

static void
test_file_secret(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	const struct hv_node	*n;
	char			*abs, *text;

	write_file(f, "secrets/token", "t0ken\n");
	write_file(f, "secrets/crlf", "line\r\n");
	write_file(f, "secrets/inner", "a\nb\n");
	abs = hv_xstrdup(write_file(f, "secrets/abs", "absolute"));
	text = hv_xasprintf(
	    "vars:\n"
	    "  tok: \"${file:secrets/token}\"\n"
	    "method:\n"
	    "  - action: http.request\n"
	    "    with:\n"
	    "      url: \"http://h/${tok}\"\n"
	    "      body: \"${file:secrets/inner}\"\n"
	    "      user: \"${file:secrets/crlf}\"\n"
	    "      password: \"${file:%s}\"\n", abs);
	/* Relative to the experiment's folder, not to the working one. */
	x = load_ok(f, text, NULL);
	assert_string_equal(x->vars[0].str, "t0ken");
	assert_string_equal(x->vars[0].shown, "${file:secrets/token}");
	assert_true(x->vars[0].secret);
	n = with_of(&x->method[0], "url");
	assert_string_equal(n->str, "http://h/t0ken");
	assert_string_equal(n->shown, "http://h/${file:secrets/token}");
	assert_true(n->secret);
	assert_string_equal(with_of(&x->method[0], "body")->str, "a\nb");
	assert_string_equal(with_of(&x->method[0], "user")->str, "line");
	n = with_of(&x->method[0], "password");
	assert_string_equal(n->str, "absolute");
	assert_true(n->secret);
	hv_experiment_free(x);
	free(text);
	free(abs);
}

static void
test_file_secret_missing(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;
	struct hv_buf		 want = HV_BUF_INIT;

	x = load_opts(f, "exp.yaml",
	    "title: \"${file:nothing/here}\"\n" OK_METHOD, NULL, &d);
	assert_null(x);
	hv_buf_printf(&want, "%s:1:8: ${file:nothing/here}: ", f->path);
	assert_int_equal(d.count, 1);
	assert_true(strncmp(d.text.s, want.s, want.len) == 0);
	assert_non_null(strstr(d.text.s, "No such file or directory\n"));
	hv_diag_release(&d);
	hv_buf_release(&want);
	load_bad(f, "title: \"${file:}\"\n" OK_METHOD,
	    "1:8: ${file:} needs a path\n");
	/* A folder is no secret file. */
	write_file(f, "secrets/x", "x");
	x = load_opts(f, "exp.yaml", "title: \"${file:secrets}\"\n" OK_METHOD,
	    NULL, &d);
	assert_null(x);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.text.s, ":1:8: ${file:secrets}: "));
	assert_non_null(strstr(d.text.s, "Is a directory\n"));
	hv_diag_release(&d);
}

static void
test_target_refs(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: [echo, \"${target.name}\"]}\n",
	    "3:11: ${target.*} needs a step with on:\n");
	load_bad(f, "steady_state:\n"
	    "  - name: p\n"
	    "    probe: local\n"
	    "    with: {command: [true]}\n"
	    "    expect: {output_matches: \"${target.address}\"}\n" OK_METHOD,
	    "5:13: ${target.*} needs a step with on:\n");
	load_bad(f, "title: \"${target.name}\"\n" OK_METHOD,
	    "1:8: ${target.*} is only known in a step's with: or expect:\n");
	load_bad(f, "method:\n  - action: local.run\n"
	    "    with: {command: [echo, \"${target.nmae}\"]}\n",
	    "3:28: unknown ${target.nmae} (a target has name, address and "
	    "tags)\n");
}

/* hv_expand and the tree walk, below the experiment. */
static void
test_expand_spellings(void **state)
{
	struct hv_var		 vars[] = {
		{ "a", "A", "A", 0, 0, 0 },
		{ "s", "real", "${env.X}", 1, 0, 0 },
		{ "q", "it's", "it's", 0, 0, 0 },
		{ "a", "A2", "A2", 0, 0, 0 },	/* the last one wins */
	};
	struct hv_host		 host = { 0 };
	char			*tags[] = { "web", "eu" };
	struct hv_expand	 x = { vars, 4, NULL, NULL, 0, 0, NULL };
	struct hv_buf		 str = HV_BUF_INIT, shown = HV_BUF_INIT;
	struct hv_buf		 err = HV_BUF_INIT;
	unsigned		 flags = 0;

	(void)state;
	assert_int_equal(hv_expand(&x, "<${a}|${s}|$$|${target.name}>", &str,
	    &shown, &flags, &err), 0);
	assert_string_equal(str.s, "<A2|real|$|${target.name}>");
	assert_string_equal(shown.s, "<A2|${env.X}|$|${target.name}>");
	assert_int_equal(flags, HV_EXP_SECRET | HV_EXP_DEFERRED);
	assert_int_equal(err.len, 0);

	/* With a target, ${target.*} is its name, address and tags. */
	host.name = "web-1";
	host.address = "10.0.0.1";
	host.tags = tags;
	host.ntags = 2;
	x.target = &host;
	hv_buf_reset(&str);
	hv_buf_reset(&shown);
	flags = 0;
	assert_int_equal(hv_expand(&x, "${target.name}@${target.address} "
	    "${target.tags}", &str, &shown, &flags, &err), 0);
	assert_string_equal(str.s, "web-1@10.0.0.1 web,eu");
	assert_string_equal(shown.s, "web-1@10.0.0.1 web,eu");
	assert_int_equal(flags, 0);

	/*
	 * In a shell value, each substitution is a variable set by a
	 * prefix, its value quoted as one word there; secrets stay
	 * references in the shown spelling.
	 */
	x.shell = 1;
	hv_buf_reset(&str);
	hv_buf_reset(&shown);
	assert_int_equal(hv_expand(&x, "echo ${q} ${s} ${q}", &str, &shown,
	    NULL, &err), 0);
	assert_string_equal(str.s, "hv_q='it'\\''s' hv_s=real; "
	    "echo \"$hv_q\" \"$hv_s\" \"$hv_q\"");
	assert_string_equal(shown.s, "hv_q='it'\\''s' hv_s=${env.X}; "
	    "echo \"$hv_q\" \"$hv_s\" \"$hv_q\"");

	/* Errors leave a message and stop. */
	x.shell = 0;
	assert_int_equal(hv_expand(&x, "${zz}", &str, &shown, NULL, &err), -1);
	assert_string_equal(err.s, "unknown variable ${zz}");
	hv_buf_release(&str);
	hv_buf_release(&shown);
	hv_buf_release(&err);
}

static void
test_expand_deferred_tree(void **state)
{
	struct hv_diag		 d;
	struct hv_node		*doc, *copy;
	struct hv_expand	 x = { 0 };
	struct hv_host		 host = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	const char		*text = "{a: \"${target.name}\", b: plain, "
	    "c: [\"x-${target.address}\"]}";

	(void)state;
	hv_diag_init(&d);
	doc = hv_yaml_parse("t.yaml", text, strlen(text), &d);
	assert_non_null(doc);
	assert_int_equal(hv_expand_tree(&x, doc, &d), 0);
	/* Left as written, and marked, until a target is known. */
	assert_string_equal(hv_node_get(doc, "a")->str, "${target.name}");
	assert_true(hv_node_get(doc, "a")->deferred);
	assert_false(hv_node_get(doc, "b")->deferred);
	assert_true(hv_node_get(doc, "c")->items[0]->deferred);
	host.name = "db-2";
	host.address = "10.1.1.2";
	x.target = &host;
	copy = hv_node_for_target(&x, doc, &err);
	assert_non_null(copy);
	assert_string_equal(hv_node_get(copy, "a")->str, "db-2");
	assert_false(hv_node_get(copy, "a")->deferred);
	assert_string_equal(hv_node_get(copy, "c")->items[0]->str,
	    "x-10.1.1.2");
	/* The original is untouched. */
	assert_string_equal(hv_node_get(doc, "a")->str, "${target.name}");
	hv_node_free(copy);
	hv_node_free(doc);
	hv_diag_release(&d);
	hv_buf_release(&err);
}


/*
 * Hostile input (issue 7, item 10). A merge key that carries an anchor
 * was freed while the anchor still named it: "? &0 <<" then ": *0" and
 * another *0 read freed memory (ASan: heap-use-after-free; a longer key
 * crashed the release build).
 */
static void
test_yaml_anchored_merge_key(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_buf		 b = HV_BUF_INIT;
	struct hv_diag		 d;
	int			 i;

	load_bad(f, "? &0 <<\n: *0\nb: *0\n",
	    "2:3: << merges a map or a list of maps, not a scalar\n"
	    "3:1: unknown key \"b\" in an experiment\n");
	load_bad(f, OK_METHOD "? &k <<\n: {title: t}\nx: {<<: *k}\n",
	    "5:9: << merges a map or a list of maps, not a scalar\n"
	    "5:1: unknown key \"x\" in an experiment\n");
	/* A long key, many times over, and a dropped duplicate's anchor. */
	hv_buf_puts(&b, OK_METHOD "? &key <<\n: {title: merged}\n"
	    "description: &dup a\ndescription: &dup2 b\nvars:\n");
	for (i = 0; i < 50; i++)
		hv_buf_printf(&b, "  v%d: [*key, *dup, *dup2]\n", i);
	x = load_opts(f, "exp.yaml", b.s, NULL, &d);
	assert_null(x);
	assert_int_equal(d.count, 51);
	assert_non_null(strstr(d.text.s, ":6:1: duplicate key \"description\" "
	    "(first at line 5)\n"));
	assert_non_null(strstr(d.text.s, ":57:8: vars.v49 must be a string, "
	    "not a list\n"));
	hv_diag_release(&d);
	hv_buf_release(&b);
}

/*
 * 40,000 keys took 7.6 s to check for duplicates (every key against
 * every key before it); with a hash they load in linear time. So do
 * 20,000 anchors with an alias to each, and large merges.
 */
static void
test_yaml_many_keys(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_buf		 b = HV_BUF_INIT;
	struct hv_diag		 d;
	int64_t			 t0;
	int			 i;

	hv_buf_puts(&b, OK_METHOD "vars:\n");
	for (i = 0; i < 40000; i++)
		hv_buf_printf(&b, "  v%d: x%d\n", i, i);
	t0 = hv_mono_ms();
	x = load_ok(f, b.s, NULL);
	assert_int_equal(x->nvars, 40000);
	assert_string_equal(x->vars[39999].str, "x39999");
	hv_experiment_free(x);
	if (hv_mono_ms() - t0 > 2000)
		fail_msg("40,000 keys took %lld ms",
		    (long long)(hv_mono_ms() - t0));
	/* A duplicate among them is still found, with its first line. */
	hv_buf_puts(&b, "  v17: again\n");
	x = load_opts(f, "exp.yaml", b.s, NULL, &d);
	assert_null(x);
	assert_non_null(strstr(d.text.s, "40004:3: duplicate key \"v17\" "
	    "(first at line 21)\n"));
	hv_diag_release(&d);

	hv_buf_reset(&b);
	hv_buf_puts(&b, OK_METHOD "x-anchors:\n");
	for (i = 0; i < 20000; i++)
		hv_buf_printf(&b, "  a%d: &a%d v%d\n", i, i, i);
	hv_buf_puts(&b, "x-aliases: [");
	for (i = 0; i < 20000; i++)
		hv_buf_printf(&b, "%s*a%d", i > 0 ? ", " : "", 19999 - i);
	hv_buf_puts(&b, "]\nx-merged: {<<: *big, own: 1}\n");
	/* The merge of a map of 20,000 keys, into one that has some. */
	hv_buf_puts(&b, "x-big: &big {");
	for (i = 0; i < 20000; i++)
		hv_buf_printf(&b, "%sk%d: %d", i > 0 ? ", " : "", i, i);
	hv_buf_puts(&b, "}\n");
	t0 = hv_mono_ms();
	x = load_opts(f, "exp.yaml", b.s, NULL, &d);
	assert_null(x);
	/* The alias before its anchor, and the unknown keys. */
	assert_non_null(strstr(d.text.s, "unknown anchor *big"));
	if (d.count != 6)
		fail_msg("%s", d.text.s);
	if (hv_mono_ms() - t0 > 2000)
		fail_msg("20,000 anchors took %lld ms",
		    (long long)(hv_mono_ms() - t0));
	hv_diag_release(&d);
	hv_buf_release(&b);
}

/* A UTF-8 byte order mark is not a syntax error; lines still count. */
static void
test_yaml_bom(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;

	x = load_ok(f, "\xef\xbb\xbftitle: with a BOM\n" OK_METHOD, NULL);
	assert_string_equal(x->title, "with a BOM");
	hv_experiment_free(x);
	load_bad(f, "\xef\xbb\xbf" OK_METHOD "titel: x\n",
	    "3:1: unknown key \"titel\" in an experiment (did you mean "
	    "\"title\"?)\n");
}

/*
 * Files that are not regular files, or too large: /dev/zero, a FIFO and
 * a huge file were read without bound (or waited on for ever), as the
 * experiment, as its inventory and as a ${file:...} secret.
 */
static void
test_unreadable_files(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;
	char			 fifo[PATH_MAX], big[PATH_MAX];
	int64_t			 t0 = hv_mono_ms();

	hv_diag_init(&d);
	x = hv_experiment_load("/dev/zero", NULL, &d);
	assert_null(x);
	assert_string_equal(d.text.s, "/dev/zero:1:1: cannot read the file "
	    "(/dev/zero: not a regular file)\n");
	hv_diag_release(&d);
	snprintf(fifo, sizeof fifo, "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	hv_diag_init(&d);
	assert_null(hv_experiment_load(fifo, NULL, &d));
	assert_non_null(strstr(d.text.s, "not a regular file"));
	hv_diag_release(&d);
	snprintf(big, sizeof big, "%s/big.yaml", f->dir);
	write_file(f, "big.yaml", "# sparse\n");
	assert_int_equal(truncate(big, HV_READ_MAX + 1), 0);
	hv_diag_init(&d);
	assert_null(hv_experiment_load(big, NULL, &d));
	assert_non_null(strstr(d.text.s, "larger than 64 MiB"));
	hv_diag_release(&d);

	x = load_opts(f, "exp.yaml", "inventory: /dev/zero\n" OK_METHOD, NULL,
	    &d);
	assert_null(x);
	assert_string_equal(d.text.s, "/dev/zero:1:1: cannot read: not a "
	    "regular file\n");
	hv_diag_release(&d);
	x = load_opts(f, "exp.yaml", "inventory: fifo\n" OK_METHOD, NULL, &d);
	assert_null(x);
	assert_non_null(strstr(d.text.s, "/fifo:1:1: cannot read: not a "
	    "regular file\n"));
	hv_diag_release(&d);
	load_bad(f, "vars: {k: \"${file:/dev/zero}\"}\n" OK_METHOD,
	    "1:11: vars.k: ${file:/dev/zero}: /dev/zero: not a regular "
	    "file\n");
	x = load_opts(f, "exp.yaml", "title: \"${file:fifo}\"\n" OK_METHOD,
	    NULL, &d);
	assert_null(x);
	assert_non_null(strstr(d.text.s, ":1:8: ${file:fifo}: "));
	assert_non_null(strstr(d.text.s, "/fifo: not a regular file\n"));
	hv_diag_release(&d);
	unlink(big);
	unlink(fifo);
	/* Refused at once: nothing was read or waited on. */
	assert_true(hv_mono_ms() - t0 < 3000);
}


/*
 * A 605-byte file of ten variables that each repeat the one before ten
 * times expanded to 6 GB and aborted; now the first value over 1 MiB is
 * a located error, found in no time. Variables within variables deeper
 * than HV_EXPAND_DEPTH are an error too.
 */
static void
test_var_blowup(void **state)
{
	struct fixture	*f = *state;
	struct hv_buf	 b = HV_BUF_INIT;
	int64_t		 t0;
	int		 i, j;

	hv_buf_puts(&b, "vars:\n  a0: \"0123456789012345678901234567890123456"
	    "789\"\n");
	for (i = 1; i < 10; i++) {
		hv_buf_printf(&b, "  a%d: \"", i);
		for (j = 0; j < 10; j++)
			hv_buf_printf(&b, "${a%d}", i - 1);
		hv_buf_puts(&b, "\"\n");
	}
	hv_buf_puts(&b, "title: \"${a9}\"\n" OK_METHOD);
	assert_true(b.len < 700);
	t0 = hv_mono_ms();
	load_bad(f, b.s, "7:7: vars.a5: the value expands to more than 1 "
	    "MiB\n");
	assert_true(hv_mono_ms() - t0 < 2000);

	hv_buf_reset(&b);
	hv_buf_puts(&b, "vars:\n  v0: x\n");
	for (i = 1; i < 20; i++)
		hv_buf_printf(&b, "  v%d: \"${v%d}\"\n", i, i - 1);
	hv_buf_puts(&b, OK_METHOD);
	load_bad(f, b.s, "19:8: vars.v17: ${v16} is variables within "
	    "variables 17 deep (at most 16)\n");
	hv_buf_release(&b);
}

/* 1000000000000h was taken, and printed as a negative duration. */
static void
test_duration_too_long(void **state)
{
	struct fixture	*f = *state;

	load_bad(f, "method:\n  - pause: 1000000000000h\n",
	    "2:12: step.pause: \"1000000000000h\" is longer than 3650d\n");
	load_bad(f, "method:\n  - pause: 1s\nsafety: {dead_man: 3651d}\n",
	    "3:20: safety.dead_man: \"3651d\" is longer than 3650d\n");
}

/*
 * Secrets in texts people read (issue 7, item 11): a title, a
 * description, tags, step, probe and alert names hold the reference,
 * never the value; so do messages about values that came from one.
 * A literal "$" reads as one.
 */
static void
test_secret_texts(void **state)
{
	static const char *over[] = { "token=HAVOC_TEST_TOKEN", "plain=p$",
	    "tok2=HAVOC_TEST_TOKEN" };
	static const unsigned char env[] = { 1, 0, 1 };
	struct hv_load_opts	 o = { over, 3, NULL, env };
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;

	setenv("HAVOC_TEST_TOKEN", "s3cr3t-5x", 1);
	x = load_ok(f,
	    "vars: {tok: \"<${env.HAVOC_TEST_TOKEN}>\"}\n"
	    "title: \"t ${env.HAVOC_TEST_TOKEN} costs 5$ $${HOME} $$$$\"\n"
	    "description: \"d ${tok}\"\n"
	    "tags: [\"${env.HAVOC_TEST_TOKEN}\", plain]\n"
	    "steady_state:\n"
	    "  - name: \"p ${env.HAVOC_TEST_TOKEN}\"\n"
	    "    probe: local\n"
	    "    with: {command: [\"true\"]}\n"
	    "watch: {probes: [\"p ${env.HAVOC_TEST_TOKEN}\"]}\n"
	    "method:\n"
	    "  - name: \"n ${tok} ${token} ${plain}\"\n"
	    "    pause: 1s\n"
	    "alerts:\n"
	    "  - name: \"a ${env.HAVOC_TEST_TOKEN}\"\n"
	    "    probe: local\n"
	    "    with: {command: [\"true\"]}\n"
	    "    within: 1s\n", &o);
	assert_string_equal(x->title, "t ${env.HAVOC_TEST_TOKEN} costs 5$ "
	    "${HOME} $$");
	assert_string_equal(x->description, "d <${env.HAVOC_TEST_TOKEN}>");
	assert_string_equal(x->tags[0], "${env.HAVOC_TEST_TOKEN}");
	assert_string_equal(x->tags[1], "plain");
	assert_string_equal(x->steady[0].name, "p ${env.HAVOC_TEST_TOKEN}");
	/* The watch found its probe by that same name. */
	assert_int_equal(x->nwatch, 1);
	assert_string_equal(x->method[0].name, "n <${env.HAVOC_TEST_TOKEN}> "
	    "${env.HAVOC_TEST_TOKEN} p$");
	assert_string_equal(x->alerts[0].name, "a ${env.HAVOC_TEST_TOKEN}");
	/* --var-env: the value, used; shown as its reference. */
	assert_string_equal(x->vars[0].name, "token");
	assert_string_equal(x->vars[0].str, "s3cr3t-5x");
	assert_string_equal(x->vars[0].shown, "${env.HAVOC_TEST_TOKEN}");
	assert_true(x->vars[0].secret);
	assert_false(x->vars[1].secret);
	hv_experiment_free(x);

	/* A message about a value from a secret names the reference. */
	load_bad(f, "method:\n  - pause: \"${env.HAVOC_TEST_TOKEN}\"\n",
	    "2:12: step.pause: \"${env.HAVOC_TEST_TOKEN}\" is not a duration "
	    "(like 250ms, 5s, 2m, 1h)\n");
	/* --var-env of an unset variable: said once, not at each use. */
	unsetenv("HAVOC_TEST_UNSET");
	over[0] = "token=HAVOC_TEST_UNSET";
	x = load_opts(f, "exp.yaml", OK_METHOD "title: \"${token}\"\n", &o,
	    &d);
	over[0] = "token=HAVOC_TEST_TOKEN";
	assert_null(x);
	assert_string_equal(d.text.s, "--var-env:1:1: environment variable "
	    "HAVOC_TEST_UNSET is not set\n");
	hv_diag_release(&d);
}

/*
 * A ${...} that a shell command could not take safely is a located
 * error, in every shell parameter (shell.run's command and revert,
 * host.reboot's command, the ssh probe's command), once each.
 */
static void
test_shell_refusals(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	const struct hv_node	*n;

	load_bad(f,
	    "hosts: {web-1: 10.0.0.1}\n"
	    "targets: {web: {hosts: [web-1]}}\n"
	    "vars: {x: \"$(touch /tmp/p)\"}\n"
	    "steady_state:\n"
	    "  - {name: s, probe: ssh, on: web, with: {command: \"sh -c "
	    "${x}\"}}\n"
	    "method:\n"
	    "  - action: shell.run\n"
	    "    on: web\n"
	    "    with:\n"
	    "      command: \"echo '${x}'\"\n"
	    "      revert: |\n"
	    "        cat <<EOF\n"
	    "        ${x}\n"
	    "        EOF\n"
	    "  - action: host.reboot\n"
	    "    on: web\n"
	    "    with: {command: \"echo \\\"${x}\\\"; ${nope}\"}\n",
	    "17:21: unknown variable ${nope}\n"
	    "5:52: ${x} would be read as code by sh -c: pass it to a shell as "
	    "an argument (sh -c '... \"$1\"' sh ${...})\n"
	    "10:16: ${x} is inside single quotes, where the shell would not "
	    "expand it and a command such as sh -c would read it as code: "
	    "write it outside quotes (havoc passes it as one word), or pass "
	    "it to another shell as an argument: sh -c '... \"$1\"' sh "
	    "${...}\n"
	    "11:15: ${x} is inside a here-document, which its command may read "
	    "as code: pipe it in as a word instead (printf '%s\\n' ${...} | "
	    "...)\n");
	/* Where it stands as a word, the command reads a variable. */
	x = load_ok(f,
	    "hosts: {web-1: 10.0.0.1}\n"
	    "targets: {web: {hosts: [web-1]}}\n"
	    "vars: {x: \"$(touch /tmp/p)\"}\n"
	    "method:\n"
	    "  - action: shell.run\n"
	    "    on: web\n"
	    "    with: {command: \"echo ${x} ${target.name}\", revert: \"echo "
	    "'$${x}'\"}\n", NULL);
	n = hv_node_get(x->method[0].with, "command");
	assert_true(n->shell);
	assert_true(n->deferred);
	assert_string_equal(n->raw, "echo ${x} ${target.name}");
	n = hv_node_get(x->method[0].with, "revert");
	assert_string_equal(n->str, "echo '${x}'");
	assert_string_equal(n->shown, "echo '$${x}'");
	hv_experiment_free(x);
}

/* Hosts and inventories. */

static void
test_inline_hosts(void **state)
{
	static const char text[] =
	    "ssh: {user: root, port: 22, connect_timeout: 5s}\n"
	    "hosts:\n"
	    "  web-1: {address: 10.0.0.11, tags: [web, eu], port: 2222}\n"
	    "  web-2: 10.0.0.12\n"
	    "  db-1: {address: 10.0.0.21, tags: db, user: postgres}\n"
	    OK_METHOD;
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_ssh_opts	 o;

	x = load_ok(f, text, NULL);
	assert_int_equal(x->inv->nhosts, 3);
	assert_string_equal(x->inv->hosts[0]->name, "web-1");
	assert_string_equal(x->inv->hosts[0]->address, "10.0.0.11");
	assert_int_equal(x->inv->hosts[0]->ntags, 2);
	assert_string_equal(x->inv->hosts[0]->tags[1], "eu");
	assert_int_equal(x->inv->hosts[0]->ssh.port, 2222);
	assert_string_equal(x->inv->hosts[1]->address, "10.0.0.12");
	assert_int_equal(x->inv->hosts[1]->ntags, 0);
	assert_int_equal(x->inv->hosts[2]->ntags, 1);
	assert_string_equal(x->inv->hosts[2]->tags[0], "db");
	/* A host's own settings, else the defaults. */
	hv_experiment_ssh_for(x, x->inv->hosts[0], &o);
	assert_int_equal(o.port, 2222);
	assert_string_equal(o.user, "root");
	assert_int_equal(o.connect_timeout_ms, 5000);
	hv_experiment_ssh_for(x, x->inv->hosts[2], &o);
	assert_int_equal(o.port, 22);
	assert_string_equal(o.user, "postgres");
	hv_experiment_free(x);
}

static void
test_inventory_file(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_ssh_opts	 o;

	write_file(f, "inv/lab.yaml",
	    "ssh: {user: admin, identity: ~/.ssh/lab, port: 2200}\n"
	    "hosts:\n"
	    "  web-1: {address: 10.99.0.11, tags: [web]}\n"
	    "  web-2: {address: 10.99.0.12, tags: [web], port: 2222, "
	    "user: ops}\n"
	    "  db-1: {address: \"${dbnet}.21\", tags: [db]}\n");
	/* Relative to the experiment; the experiment's ssh: wins. */
	x = load_ok(f, "inventory: inv/lab.yaml\n"
	    "vars: {dbnet: 10.99.1}\n"
	    "ssh: {user: root}\n"
	    "hosts:\n  extra: {address: 10.99.0.99}\n" OK_METHOD, NULL);
	assert_int_equal(x->inv->nhosts, 4);
	assert_string_equal(x->inv->hosts[0]->name, "web-1");
	assert_string_equal(x->inv->hosts[1]->name, "web-2");
	assert_string_equal(x->inv->hosts[2]->address, "10.99.1.21");
	assert_string_equal(x->inv->hosts[3]->name, "extra");
	hv_experiment_ssh_for(x, x->inv->hosts[0], &o);
	assert_string_equal(o.user, "root");
	assert_string_equal(o.identity, "~/.ssh/lab");
	assert_int_equal(o.port, 2200);
	hv_experiment_ssh_for(x, x->inv->hosts[1], &o);
	assert_string_equal(o.user, "ops");
	assert_int_equal(o.port, 2222);
	hv_experiment_free(x);
}

/*
 * The experiments of a game day share an inventory file: loaded once,
 * the same hosts; with other variables it expands differently, so it is
 * loaded again. An experiment's own hosts stay its own.
 */
static void
test_inventory_shared(void **state)
{
	struct fixture			*f = *state;
	struct hv_inventory_cache	 cache;
	struct hv_load_opts		 o;
	struct hv_experiment		*a, *b, *c;
	const char			*net2[] = { "net=10.98.1" };

	write_file(f, "inv.yaml", "hosts:\n"
	    "  web-1: {address: \"${net}.11\", tags: [web]}\n");
	memset(&cache, 0, sizeof cache);
	memset(&o, 0, sizeof o);
	o.inventories = &cache;
	a = load_ok(f, "inventory: inv.yaml\nvars: {net: 10.99.0}\n"
	    OK_METHOD, &o);
	b = load_ok(f, "inventory: inv.yaml\nvars: {net: 10.99.0}\n"
	    "hosts:\n  own: {address: 10.99.0.50}\n" OK_METHOD, &o);
	o.vars = net2;
	o.nvars = 1;
	c = load_ok(f, "inventory: inv.yaml\nvars: {net: 10.99.0}\n"
	    OK_METHOD, &o);
	assert_int_equal(cache.n, 2);
	/* One load, one host, for a and b. */
	assert_ptr_equal(a->inv->base, b->inv->base);
	assert_ptr_equal(a->inv->hosts[0], b->inv->hosts[0]);
	assert_int_equal(a->inv->nhosts, 1);
	assert_int_equal(b->inv->nhosts, 2);
	assert_string_equal(b->inv->hosts[1]->name, "own");
	assert_null(hv_inventory_find(a->inv, "own"));
	/* Other variables: another load. */
	assert_ptr_not_equal(c->inv->base, a->inv->base);
	assert_string_equal(c->inv->hosts[0]->address, "10.98.1.11");
	assert_string_equal(a->inv->hosts[0]->address, "10.99.0.11");
	hv_experiment_free(a);
	hv_experiment_free(b);
	/* The cache still holds the inventory c does not use. */
	assert_int_equal(cache.v[0]->refs, 1);
	hv_experiment_free(c);
	hv_inventory_cache_release(&cache);
}

static void
test_inventory_errors(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;
	struct hv_buf		 want = HV_BUF_INIT;
	char			*inv;

	inv = hv_xstrdup(write_file(f, "inv.yaml",
	    "hosts:\n"
	    "  web-1: {address: 10.0.0.1, tag: [web]}\n"
	    "  web-2: {tags: [web]}\n"
	    "  web-3:\n"));
	x = load_opts(f, "exp.yaml", "inventory: inv.yaml\n"
	    "hosts:\n  web-1: 10.0.0.9\n" OK_METHOD, NULL, &d);
	assert_null(x);
	/* The inventory's problems are at its own FILE:LINE:COLUMN. */
	hv_buf_printf(&want,
	    "%s:2:30: unknown key \"tag\" in a host (did you mean \"tags\"?)\n"
	    "%s:3:10: host \"web-2\" needs an address\n"
	    "%s:4:3: host \"web-3\" needs an address\n"
	    "%s:3:3: host \"web-1\" is defined twice (first at %s:2)\n",
	    inv, inv, inv, f->path, inv);
	if (strcmp(d.text.s, want.s) != 0)
		fail_msg("got:\n%s\nexpected:\n%s", d.text.s, want.s);
	hv_diag_release(&d);
	hv_buf_release(&want);
	free(inv);

	load_bad(f, "hosts:\n  a: 10.0.0.1\n  b: {address: 10.0.0.2, "
	    "port: 70000}\n" OK_METHOD,
	    "3:32: host.port: \"70000\" is not an integer from 1 to 65535\n");
	load_bad(f, "hosts:\n  a: 10.0.0.1\n  a: 10.0.0.2\n" OK_METHOD,
	    "3:3: duplicate key \"a\" (first at line 2)\n");
	load_bad(f, "inventory: [a]\n" OK_METHOD,
	    "1:12: inventory must be a file name, not a list\n");
	load_bad(f, "targets: {web: {tags: [web]}}\n" OK_METHOD,
	    "1:11: target group \"web\": there are no hosts (add inventory: or "
	    "hosts:)\n");
	load_bad(f, "hosts: {a: 10.0.0.1}\ntargets: {web: {pick: 1}}\n"
	    OK_METHOD,
	    "2:16: target group \"web\" needs tags:, hosts: or aws:\n");
	load_bad(f, "hosts: {a: 10.0.0.1}\ntargets: {web: {hosts: [a, b]}}\n"
	    OK_METHOD,
	    "2:28: target group \"web\": no host \"b\" in the inventory\n");
}

static void
test_inventory_missing(void **state)
{
	struct fixture		*f = *state;
	struct hv_experiment	*x;
	struct hv_diag		 d;

	x = load_opts(f, "exp.yaml", "inventory: nothing.yaml\n" OK_METHOD,
	    NULL, &d);
	assert_null(x);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.text.s, "/nothing.yaml:1:1: cannot read: "
	    "No such file or directory\n"));
	hv_diag_release(&d);
	write_file(f, "inv.yaml", "ssh: {user: x}\n");
	x = load_opts(f, "exp.yaml", "inventory: inv.yaml\n" OK_METHOD,
	    NULL, &d);
	assert_null(x);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.text.s, "inv.yaml:1:1: an inventory needs a "
	    "hosts: map\n"));
	hv_diag_release(&d);
}

/* A test in its own folder. */
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_valid_file),
		T(test_defaults),
		T(test_yaml_syntax_error),
		T(test_yaml_duplicate_key),
		T(test_yaml_structure),
		T(test_missing_file),
		T(test_yaml_anchors_and_merge),
		T(test_yaml_alias_positions),
		T(test_yaml_billion_laughs),
		T(test_yaml_limits),
		T(test_yaml_anchored_merge_key),
		T(test_yaml_many_keys),
		T(test_yaml_bom),
		T(test_unreadable_files),
		T(test_var_blowup),
		T(test_duration_too_long),
		T(test_secret_texts),
		T(test_shell_refusals),
		T(test_unknown_keys),
		T(test_wrong_types),
		T(test_bad_durations),
		T(test_unknown_driver),
		T(test_driver_kind_mismatch),
		T(test_driver_params),
		T(test_on_and_targets),
		T(test_on_ssh_driver),
		T(test_probe_references),
		T(test_pick_values),
		T(test_pick_parsed),
		T(test_step_shape),
		T(test_three_mistakes),
		T(test_validate_binary),
		T(test_vars),
		T(test_var_overrides),
		T(test_var_override_malformed),
		T(test_var_errors),
		T(test_env_secret),
		T(test_file_secret),
		T(test_file_secret_missing),
		T(test_target_refs),
		cmocka_unit_test(test_expand_spellings),
		cmocka_unit_test(test_expand_deferred_tree),
		T(test_inline_hosts),
		T(test_inventory_file),
		T(test_inventory_errors),
		T(test_inventory_shared),
		T(test_inventory_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
