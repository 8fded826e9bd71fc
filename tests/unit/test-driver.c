/*
 * test-driver.c - the driver registry (driver.c): walks hv_drivers[] and
 * every parameter table in it, checks exact-name lookup, and exercises
 * hv_params_check and the argument accessors on maps parsed from YAML.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "experiment.h"
#include "node.h"
#include "util.h"

static size_t
ndrivers(void)
{
	size_t	n = 0;

	while (hv_drivers[n] != NULL)
		n++;
	return n;
}

/* Whether word is one of "a|b|c" (written again here, on purpose). */
static int
is_choice(const char *choices, const char *word)
{
	const char	*p = choices, *end;
	size_t		 n = strlen(word);

	for (;;) {
		end = strchr(p, '|');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == n && memcmp(p, word, n) == 0)
			return 1;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

/* Checks one parameter table; what names it in failure messages. */
static void
check_table(const struct hv_param *t, const char *what)
{
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_node	*n;
	size_t		 i, j;

	assert_non_null(t);
	/* NULL-terminated well within reason (a missing { NULL } runs off). */
	for (i = 0; t[i].name != NULL; i++) {
		if (i > 200)
			fail_msg("%s: no { NULL } at the end", what);
	}
	for (i = 0; t[i].name != NULL; i++) {
		const struct hv_param	*p = &t[i];

		if (*p->name == '\0')
			fail_msg("%s: a parameter without a name", what);
		for (j = 0; j < i; j++) {
			if (strcmp(t[j].name, p->name) == 0)
				fail_msg("%s: parameter %s twice", what,
				    p->name);
		}
		if (p->help == NULL || *p->help == '\0')
			fail_msg("%s.%s: no help text", what, p->name);
		if (p->type < HV_T_STR || p->type > HV_T_PROBE ||
		    strcmp(hv_type_name(p->type), "?") == 0)
			fail_msg("%s.%s: bad type %d", what, p->name,
			    (int)p->type);
		if (p->required && p->def != NULL)
			fail_msg("%s.%s: required and with a default", what,
			    p->name);
		if (p->choices != NULL && p->def != NULL &&
		    !is_choice(p->choices, p->def))
			fail_msg("%s.%s: default %s is not one of %s", what,
			    p->name, p->def, p->choices);
		if (p->choices != NULL && *p->choices == '\0')
			fail_msg("%s.%s: empty choices", what, p->name);
		if (p->def == NULL)
			continue;
		/* The default must pass the check a user's value passes. */
		n = hv_node_scalar(p->def, "table", 1, 1);
		if (hv_param_value_check(p, n, &err) == -1)
			fail_msg("%s.%s: default \"%s\": %s", what, p->name,
			    p->def, err.s);
		hv_node_free(n);
	}
	hv_buf_release(&err);
}

static void
test_registry_names(void **state)
{
	size_t	i, j, n = ndrivers();

	(void)state;
	assert_true(n >= 5);
	for (i = 0; i < n; i++) {
		const struct hv_driver	*d = hv_drivers[i];

		assert_non_null(d->name);
		assert_true(*d->name != '\0');
		for (j = 0; j < i; j++) {
			if (strcmp(hv_drivers[j]->name, d->name) == 0)
				fail_msg("driver %s is registered twice",
				    d->name);
			if (hv_drivers[j] == d)
				fail_msg("driver %s appears twice", d->name);
		}
		/* Names are lowercase words joined by dots. */
		for (j = 0; d->name[j] != '\0'; j++) {
			char	c = d->name[j];

			if (!((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '_'))
				fail_msg("driver name %s: bad character",
				    d->name);
		}
		assert_ptr_equal(hv_driver_find(d->name), d);
	}
}

static void
test_registry_expected_drivers(void **state)
{
	static const struct {
		const char		*name;
		enum hv_driver_kind	 kind;
	} want[] = {
		{ "local.run", HV_ACTION },
		{ "http.request", HV_ACTION },
		{ "http", HV_PROBE },
		{ "tcp", HV_PROBE },
		{ "local", HV_PROBE },
	};
	const struct hv_driver	*d;
	size_t			 i;

	(void)state;
	for (i = 0; i < HV_ARRAY_LEN(want); i++) {
		d = hv_driver_find(want[i].name);
		if (d == NULL)
			fail_msg("no driver %s", want[i].name);
		assert_int_equal(d->kind, want[i].kind);
		assert_string_equal(d->name, want[i].name);
	}
}

static void
test_lookup_exact_only(void **state)
{
	static const char *const near[] = {
		"local.ru", "LOCAL.RUN", "Local.Run", "local.run ",
		" local.run",
		"local.runn", "local", "local.", "http.req", "HTTP", "http ",
		"tcp\n", "local.run\t", "", ".", "local*",
	};
	size_t	i;

	(void)state;
	assert_null(hv_driver_find(NULL));
	for (i = 0; i < HV_ARRAY_LEN(near); i++) {
		const struct hv_driver	*d = hv_driver_find(near[i]);

		/* "local" is a probe of its own; anything else is nothing. */
		if (strcmp(near[i], "local") == 0) {
			assert_non_null(d);
			assert_int_equal(d->kind, HV_PROBE);
			continue;
		}
		if (d != NULL)
			fail_msg("\"%s\" found driver %s", near[i], d->name);
	}
}

static void
test_suggest(void **state)
{
	(void)state;
	assert_string_equal(hv_driver_suggest("local.rnu", HV_ACTION),
	    "local.run");
	/* Case counts as a difference, like any other. */
	assert_null(hv_driver_suggest("LOCAL.RUN", HV_ACTION));
	assert_string_equal(hv_driver_suggest("htp.request", HV_ACTION),
	    "http.request");
	assert_string_equal(hv_driver_suggest("htp", HV_PROBE), "http");
	/* Suggestions stay within the kind asked for. */
	assert_string_equal(hv_driver_suggest("locall", HV_PROBE), "local");
	assert_string_equal(hv_driver_suggest("local.rn", HV_ACTION),
	    "local.run");
	assert_null(hv_driver_suggest("teleport.host", HV_PROBE));
	assert_null(hv_driver_suggest("zzzzzzzzzz", HV_ACTION));
}

static void
test_hooks_and_tables(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; hv_drivers[i] != NULL; i++) {
		const struct hv_driver	*d = hv_drivers[i];
		char			 what[64];

		const struct hv_transport *t = hv_driver_transport(d);

		if (d->start == NULL && t->start == NULL)
			fail_msg("%s has no start", d->name);
		/* A transport's hooks build on the driver's command. */
		if (d->start == NULL && d->command == NULL)
			fail_msg("%s starts through its transport but has no "
			    "command", d->name);
		/* Every transport of a driver is in the table of them. */
		{
			size_t	k;

			for (k = 0; hv_transports[k] != NULL &&
			    hv_transports[k] != t; k++)
				;
			if (hv_transports[k] == NULL)
				fail_msg("%s: transport %s is not in "
				    "hv_transports", d->name, t->name);
		}
		if (d->summary == NULL || *d->summary == '\0')
			fail_msg("%s has no summary", d->name);
		if (d->kind != HV_ACTION && d->kind != HV_PROBE)
			fail_msg("%s: bad kind", d->name);
		if (d->target != HV_TARGET_NONE &&
		    d->target != HV_TARGET_REQUIRED)
			fail_msg("%s: bad target mode", d->name);
		snprintf(what, sizeof what, "%s with", d->name);
		check_table(d->params, what);
		if (d->kind == HV_PROBE) {
			if (d->expect == NULL)
				fail_msg("probe %s has no expect table",
				    d->name);
			snprintf(what, sizeof what, "%s expect", d->name);
			check_table(d->expect, what);
			/* A probe injects nothing, so it reverts nothing. */
			if (d->revert != NULL || d->is_fault != NULL)
				fail_msg("probe %s has a revert", d->name);
		} else if (d->expect != NULL)
			fail_msg("action %s has an expect table", d->name);
		/* is_fault decides among faults: it needs a revert. */
		if (d->is_fault != NULL && d->revert == NULL)
			fail_msg("%s has is_fault but no revert", d->name);
	}
}

static void
test_every_driver_has_timeout(void **state)
{
	const struct hv_param	*p;
	int64_t			 ms;
	size_t			 i;

	(void)state;
	for (i = 0; hv_drivers[i] != NULL; i++) {
		p = hv_param_find(hv_drivers[i]->params, "timeout");
		if (p == NULL)
			fail_msg("%s has no timeout parameter",
			    hv_drivers[i]->name);
		assert_int_equal(p->type, HV_T_DURATION);
		assert_false(p->required);
		if (p->def == NULL)
			fail_msg("%s: timeout has no default",
			    hv_drivers[i]->name);
		ms = 0;
		if (hv_parse_duration(p->def, &ms) == -1 || ms <= 0)
			fail_msg("%s: timeout default \"%s\" is not a duration",
			    hv_drivers[i]->name, p->def);
	}
}

/* Parses a YAML snippet into a tree, failing the test on errors. */
static struct hv_node *
yaml(const char *text)
{
	struct hv_diag	 d;
	struct hv_node	*n;

	hv_diag_init(&d);
	n = hv_yaml_parse("t.yaml", text, strlen(text), &d);
	if (n == NULL || d.count != 0)
		fail_msg("yaml: %s", d.text.s);
	hv_diag_release(&d);
	return n;
}

/* Calls with and without is_fault: a revert parameter decides. */
static void
test_is_fault(void **state)
{
	struct hv_node	*plain, *rev, *http;
	struct hv_call	 c;
	struct hv_host	 host;
	char		*tags[] = { "web" };
	size_t		 i;

	(void)state;
	memset(&host, 0, sizeof host);
	host.name = "web-1";
	host.address = "10.0.0.1";
	host.tags = tags;
	host.ntags = 1;
	plain = yaml("{command: [true]}");
	rev = yaml("{command: [true], revert: [false]}");
	http = yaml("{url: 'http://x/', revert_url: 'http://x/undo'}");
	for (i = 0; hv_drivers[i] != NULL; i++) {
		const struct hv_driver	*d = hv_drivers[i];

		hv_call_init(&c, d, NULL);
		c.with = plain;
		c.host = d->target == HV_TARGET_REQUIRED ? &host : NULL;
		if (d->kind == HV_PROBE || d->revert == NULL)
			assert_false(hv_call_is_fault(&c));
		/* Callable on any with:, even one it would reject. */
		if (d->is_fault != NULL) {
			int	v = d->is_fault(&c);

			assert_true(v == 0 || v == 1);
		}
		hv_call_release(&c);
	}
	hv_call_init(&c, hv_driver_find("local.run"), NULL);
	c.with = plain;
	assert_false(hv_call_is_fault(&c));
	c.with = rev;
	assert_true(hv_call_is_fault(&c));
	hv_call_release(&c);
	hv_call_init(&c, hv_driver_find("http.request"), NULL);
	c.with = plain;
	assert_false(hv_call_is_fault(&c));
	c.with = http;
	assert_true(hv_call_is_fault(&c));
	hv_call_release(&c);
	hv_call_init(&c, hv_driver_find("local"), NULL);
	c.with = rev;
	assert_false(hv_call_is_fault(&c));
	hv_call_release(&c);
	hv_node_free(plain);
	hv_node_free(rev);
	hv_node_free(http);
}

/* A table that uses every type, for hv_params_check. */
static const struct hv_param spec[] = {
	{ "url", HV_T_STR, 1, NULL, NULL, "required string" },
	{ "count", HV_T_INT, 0, "3", NULL, "an integer" },
	{ "ratio", HV_T_NUM, 0, NULL, NULL, "a number" },
	{ "force", HV_T_BOOL, 0, "false", NULL, "a boolean" },
	{ "timeout", HV_T_DURATION, 0, "5s", NULL, "a duration" },
	{ "limit", HV_T_SIZE, 0, "1M", NULL, "a size" },
	{ "argv", HV_T_LIST, 0, NULL, NULL, "a list" },
	{ "headers", HV_T_MAP, 0, NULL, NULL, "a map" },
	{ "mode", HV_T_STR, 0, "fast", "fast|slow|off", "a choice" },
	{ "anything", HV_T_ANY, 0, NULL, NULL, "anything" },
	{ "port", HV_T_INT, 1, NULL, NULL, "required integer" },
	{ "cwd", HV_T_STR, 0, NULL, NULL, "a folder" },
	{ NULL }
};

/* Runs hv_params_check over YAML and compares the whole diagnostics. */
static void
check_params(const char *text, int want_count, const char *want)
{
	struct hv_diag	 d;
	struct hv_node	*map, *where;
	int		 n;

	map = yaml(text);
	where = hv_node_new(HV_NODE_MAP, "step.yaml", 9, 3);
	hv_diag_init(&d);
	n = hv_params_check(spec, map, where, "fake", &d);
	if (strcmp(d.text.s, want) != 0)
		fail_msg("for %s got:\n%s\nexpected:\n%s", text, d.text.s,
		    want);
	assert_int_equal(n, want_count);
	assert_int_equal(d.count, want_count);
	hv_diag_release(&d);
	hv_node_free(map);
	hv_node_free(where);
}

static void
test_params_check_ok(void **state)
{
	(void)state;
	check_params("{url: x, port: 80}", 0, "");
	check_params("{url: x, port: 80, count: -2, ratio: 0.5, force: yes, "
	    "timeout: 1m30s, limit: 2G, argv: [a, b], headers: {A: b}, "
	    "mode: slow, anything: [1, {x: y}]}", 0, "");
	/* Null optional values count as absent. */
	check_params("{url: x, port: 80, count: , mode: ~}", 0, "");
}

static void
test_params_check_unknown(void **state)
{
	(void)state;
	check_params("{urll: x, url: x, port: 1}", 1,
	    "t.yaml:1:2: fake: unknown parameter \"urll\" (did you mean "
	    "\"url\"?)\n");
	check_params("{url: x, port: 1, zzzzzzz: 1}", 1,
	    "t.yaml:1:19: fake: unknown parameter \"zzzzzzz\"\n");
	/* Names match exactly: no case folding. */
	check_params("{URL: x, url: x, port: 1}", 1,
	    "t.yaml:1:2: fake: unknown parameter \"URL\"\n");
}

static void
test_params_check_missing(void **state)
{
	(void)state;
	/* At the map when there is one, else at the step. */
	check_params("{url: x}", 1,
	    "t.yaml:1:1: fake: missing required parameter \"port\"\n");
	check_params("{}", 2,
	    "t.yaml:1:1: fake: missing required parameter \"url\"\n"
	    "t.yaml:1:1: fake: missing required parameter \"port\"\n");
	check_params("~", 2,
	    "step.yaml:9:3: fake: missing required parameter \"url\"\n"
	    "step.yaml:9:3: fake: missing required parameter \"port\"\n");
	/* A required parameter given as null is missing, said once. */
	check_params("{url: , port: 1}", 1,
	    "t.yaml:1:1: fake: missing required parameter \"url\"\n");
}

static void
test_params_check_types(void **state)
{
	(void)state;
	check_params("[url, port]", 1,
	    "t.yaml:1:1: fake: expected a map of parameters, not a list\n");
	check_params("{url: [a], port: 1}", 1,
	    "t.yaml:1:7: fake: url must be a string, not a list\n");
	check_params("{url: x, port: eighty}", 1,
	    "t.yaml:1:16: fake: port: \"eighty\" is not an integer\n");
	check_params("{url: x, port: 1, count: 1.5}", 1,
	    "t.yaml:1:26: fake: count: \"1.5\" is not an integer\n");
	check_params("{url: x, port: 1, ratio: lots}", 1,
	    "t.yaml:1:26: fake: ratio: \"lots\" is not a number\n");
	check_params("{url: x, port: 1, force: 1}", 1,
	    "t.yaml:1:26: fake: force: \"1\" is not true or false\n");
	check_params("{url: x, port: 1, timeout: 5x}", 1,
	    "t.yaml:1:28: fake: timeout: \"5x\" is not a duration (like "
	    "250ms, 5s, 2m, 1h)\n");
	check_params("{url: x, port: 1, limit: 2Q}", 1,
	    "t.yaml:1:26: fake: limit: \"2Q\" is not a size (like 512M, "
	    "2G)\n");
	check_params("{url: x, port: 1, argv: a}", 1,
	    "t.yaml:1:25: fake: argv must be a list, not a scalar\n");
	check_params("{url: x, port: 1, argv: [a, [b]]}", 1,
	    "t.yaml:1:25: fake: argv: item 2 must be a string, not a list\n");
	check_params("{url: x, port: 1, headers: [a]}", 1,
	    "t.yaml:1:28: fake: headers must be a map, not a list\n");
	check_params("{url: x, port: 1, headers: {A: {b: c}}}", 1,
	    "t.yaml:1:28: fake: headers.A must be a string, not a map\n");
	check_params("{url: x, port: 1, mode: medium}", 1,
	    "t.yaml:1:25: fake: mode: \"medium\" is not one of "
	    "fast|slow|off\n");
	check_params("{url: x, port: 1, mode: fas}", 1,
	    "t.yaml:1:25: fake: mode: \"fas\" is not one of fast|slow|off\n");
}

static void
test_params_check_all_at_once(void **state)
{
	(void)state;
	/* Every problem is reported, each once, in the map's order. */
	check_params("{urll: x, count: many, timeout: soon, mode: x}", 6,
	    "t.yaml:1:2: fake: unknown parameter \"urll\" (did you mean "
	    "\"url\"?)\n"
	    "t.yaml:1:18: fake: count: \"many\" is not an integer\n"
	    "t.yaml:1:33: fake: timeout: \"soon\" is not a duration (like "
	    "250ms, 5s, 2m, 1h)\n"
	    "t.yaml:1:45: fake: mode: \"x\" is not one of fast|slow|off\n"
	    "t.yaml:1:1: fake: missing required parameter \"url\"\n"
	    "t.yaml:1:1: fake: missing required parameter \"port\"\n");
}

static void
test_param_value_check_err_chains(void **state)
{
	struct hv_buf	 err = HV_BUF_INIT;
	struct hv_node	*n;

	(void)state;
	n = hv_node_scalar("5x", "t", 1, 1);
	hv_buf_puts(&err, "before");
	assert_int_equal(hv_param_value_check(&spec[4], n, &err), -1);
	assert_string_equal(err.s, "before; timeout: \"5x\" is not a "
	    "duration (like 250ms, 5s, 2m, 1h)");
	hv_buf_reset(&err);
	/* Success leaves err alone. */
	free(n->str);
	n->str = hv_xstrdup("5s");
	assert_int_equal(hv_param_value_check(&spec[4], n, &err), 0);
	assert_int_equal(err.len, 0);
	/* A value still holding ${target.*} is checked per target later. */
	free(n->str);
	n->str = hv_xstrdup("${target.name}");
	n->deferred = 1;
	assert_int_equal(hv_param_value_check(&spec[4], n, &err), 0);
	assert_int_equal(err.len, 0);
	hv_node_free(n);
	hv_buf_release(&err);
}

/* The accessors: given values, else the table's defaults, else zero. */
static void
test_accessors(void **state)
{
	static const struct hv_driver fake = {
		.name = "fake", .kind = HV_ACTION, .params = spec,
		.summary = "fake",
	};
	struct hv_node	*with;
	struct hv_call	 c;
	char		**argv;
	char		*path;

	(void)state;
	with = yaml("{url: 'http://x/', count: 7, timeout: 2m, force: on, "
	    "argv: [a, 'b c'], ratio: 0.25, limit: 3K, cwd: ~}");
	hv_call_init(&c, &fake, NULL);
	c.with = with;
	assert_string_equal(hv_arg_str(&c, "url"), "http://x/");
	assert_int_equal(hv_arg_int(&c, "count"), 7);
	assert_int_equal(hv_arg_ms(&c, "timeout"), 120000);
	assert_true(hv_arg_bool(&c, "force"));
	assert_true(hv_arg_num(&c, "ratio") == 0.25);
	assert_int_equal(hv_arg_size(&c, "limit"), 3072);
	/* Defaults. */
	assert_string_equal(hv_arg_str(&c, "mode"), "fast");
	assert_false(hv_arg_has(&c, "mode"));
	assert_true(hv_arg_has(&c, "count"));
	assert_false(hv_arg_has(&c, "cwd"));
	/* Neither given nor defaulted. */
	assert_null(hv_arg_str(&c, "nothing"));
	assert_int_equal(hv_arg_int(&c, "port"), 0);
	argv = hv_arg_argv(&c, "argv");
	assert_non_null(argv);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "b c");
	assert_null(argv[2]);
	free(argv);
	assert_null(hv_arg_argv(&c, "url"));
	assert_null(hv_arg_argv(&c, "nothing"));
	c.dir = "/srv/exp";
	path = hv_arg_path(&c, "cwd");
	assert_string_equal(path, "/srv/exp");
	free(path);
	hv_call_release(&c);
	hv_node_free(with);
	with = yaml("{cwd: sub/dir}");
	hv_call_init(&c, &fake, NULL);
	c.with = with;
	c.dir = "/srv/exp";
	path = hv_arg_path(&c, "cwd");
	assert_string_equal(path, "/srv/exp/sub/dir");
	free(path);
	hv_call_release(&c);
	hv_node_free(with);
	with = yaml("{cwd: /abs}");
	hv_call_init(&c, &fake, NULL);
	c.with = with;
	c.dir = "/srv/exp";
	path = hv_arg_path(&c, "cwd");
	assert_string_equal(path, "/abs");
	free(path);
	hv_call_release(&c);
	hv_node_free(with);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_names),
		cmocka_unit_test(test_registry_expected_drivers),
		cmocka_unit_test(test_lookup_exact_only),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_hooks_and_tables),
		cmocka_unit_test(test_every_driver_has_timeout),
		cmocka_unit_test(test_is_fault),
		cmocka_unit_test(test_params_check_ok),
		cmocka_unit_test(test_params_check_unknown),
		cmocka_unit_test(test_params_check_missing),
		cmocka_unit_test(test_params_check_types),
		cmocka_unit_test(test_params_check_all_at_once),
		cmocka_unit_test(test_param_value_check_err_chains),
		cmocka_unit_test(test_accessors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
