/*
 * test-plan.c - plan.c: target groups to hosts (tags, names), seeded
 * picks (counts, percentages, determinism, independence between groups),
 * the blast radius (safety.max_targets over distinct hosts, probes not
 * counted, empty groups refused) and per-host parameters.
 *
 * Most tests load hosts and groups from YAML and then point steps at
 * groups in the model (what the loader does for `on:`), so that they do
 * not depend on any one SSH driver; test_plan_from_yaml_on goes through
 * a file with process.kill when that driver is there.
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
#include "expand.h"
#include "experiment.h"
#include "node.h"
#include "plan.h"
#include "util.h"

#define HOSTS								\
	"hosts:\n"							\
	"  web-1: {address: 10.0.0.1, tags: [web, eu]}\n"		\
	"  web-2: {address: 10.0.0.2, tags: [web, eu]}\n"		\
	"  web-3: {address: 10.0.0.3, tags: [web, eu, canary]}\n"	\
	"  web-4: {address: 10.0.0.4, tags: [web, us]}\n"		\
	"  web-5: {address: 10.0.0.5, tags: [web, us]}\n"		\
	"  db-1: {address: 10.0.1.1, tags: [db, eu]}\n"			\
	"  db-2: {address: 10.0.1.2, tags: [db, eu]}\n"			\
	"  db-3: {address: 10.0.1.3, tags: [db, us]}\n"			\
	"  cache-1: {address: 10.0.2.1, tags: [cache, us]}\n"		\
	"  cache-2: {address: 10.0.2.2, tags: cache}\n"

/* Several steps, so that tests can give them groups. */
#define STEPS								\
	"steady_state:\n"						\
	"  - {name: up, probe: local, with: {command: [true]}}\n"	\
	"method:\n"							\
	"  - {name: one, action: local.run, with: {command: [true]}}\n"	\
	"  - {name: two, action: local.run, with: {command: [true]}}\n"	\
	"  - {name: three, action: local.run, with: {command: [true]}}\n" \
	"rollbacks:\n"							\
	"  - {name: undo, action: local.run, with: {command: [true]}}\n"

/* Builds an experiment from YAML in memory; fails the test on problems. */
static struct hv_experiment *
build(const char *text)
{
	struct hv_experiment	*x;
	struct hv_node		*doc;
	struct hv_diag		 d;

	hv_diag_init(&d);
	doc = hv_yaml_parse("plan.yaml", text, strlen(text), &d);
	if (doc == NULL || d.count != 0)
		fail_msg("yaml:\n%s", d.text.s);
	x = hv_experiment_from_tree("plan.yaml", doc, NULL, &d);
	if (x == NULL) {
		hv_node_free(doc);
		fail_msg("experiment:\n%s", d.text.s);
	}
	hv_diag_release(&d);
	return x;
}

/* Gives a step a target group, as on: would. */
static void
aim(struct hv_experiment *x, struct hv_step *s, const char *group)
{
	if ((s->group = hv_experiment_group(x, group)) == -1)
		fail_msg("no group %s", group);
}

/* The hosts of a group as "a b c". */
static char *
names(const struct hv_experiment *x, const struct hv_plan *p,
    const char *group)
{
	struct hv_buf	b = HV_BUF_INIT;
	int		g = hv_experiment_group(x, group);
	size_t		i;

	if (g == -1)
		fail_msg("no group %s", group);
	for (i = 0; i < p->groups[g].n; i++)
		hv_buf_printf(&b, "%s%s", i > 0 ? " " : "",
		    p->groups[g].hosts[i]->name);
	return hv_buf_detach(&b);
}

static void
plan_ok(const struct hv_experiment *x, uint64_t seed, struct hv_plan *p)
{
	struct hv_buf	err = HV_BUF_INIT;

	if (hv_plan_make(x, seed, p, &err) == -1)
		fail_msg("plan refused: %s", err.s);
	assert_int_equal(err.len, 0);
	hv_buf_release(&err);
}

static void
check_group(const struct hv_experiment *x, const struct hv_plan *p,
    const char *group, const char *want)
{
	char	*got = names(x, p, group);

	if (strcmp(got, want) != 0)
		fail_msg("group %s: \"%s\", expected \"%s\"", group, got, want);
	free(got);
}

static void
test_tags_and_names(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;

	(void)state;
	x = build(HOSTS
	    "targets:\n"
	    "  web: {tags: [web]}\n"
	    "  web_eu: {tags: [web, eu]}\n"
	    "  eu: {tags: eu}\n"
	    "  canary: {tags: [canary, web, eu]}\n"
	    "  us_cache: {tags: [us, cache]}\n"
	    "  named: {hosts: [db-3, cache-2]}\n"
	    "  mixed: {tags: [cache], hosts: [web-2]}\n"
	    "  nothing: {tags: [web, db]}\n"
	    "  absent: {tags: [nope]}\n"
	    STEPS);
	plan_ok(x, 1, &p);
	/* Every tag must be carried (AND), sorted by name. */
	check_group(x, &p, "web", "web-1 web-2 web-3 web-4 web-5");
	check_group(x, &p, "web_eu", "web-1 web-2 web-3");
	check_group(x, &p, "eu", "db-1 db-2 web-1 web-2 web-3");
	check_group(x, &p, "canary", "web-3");
	check_group(x, &p, "us_cache", "cache-1");
	/* Host names are exact, or joined with the tag matches. */
	check_group(x, &p, "named", "cache-2 db-3");
	check_group(x, &p, "mixed", "cache-1 cache-2 web-2");
	check_group(x, &p, "nothing", "");
	check_group(x, &p, "absent", "");
	assert_int_equal(p.ngroups, 9);
	assert_int_equal(p.seed, 1);
	/* No step is aimed at anything: nothing is touched. */
	assert_int_equal(p.ntouched, 0);
	hv_plan_release(&p);
	hv_plan_release(&p);		/* twice is harmless */
	hv_experiment_free(x);
}

static void
test_pick_counts(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	uint64_t		 seed;

	(void)state;
	x = build(HOSTS
	    "targets:\n"
	    "  one: {tags: [web], pick: 1}\n"
	    "  two: {tags: [web], pick: 2}\n"
	    "  many: {tags: [db], pick: 3}\n"
	    "  p30of3: {tags: [web, eu], pick: 30%}\n"
	    "  p50of5: {tags: [web], pick: \"50%\"}\n"
	    "  p1of10: {tags: [], hosts: [web-1, web-2, web-3, web-4, web-5, "
	    "db-1, db-2, db-3, cache-1, cache-2], pick: 1%}\n"
	    "  p99of10: {hosts: [web-1, web-2, web-3, web-4, web-5, "
	    "db-1, db-2, db-3, cache-1, cache-2], pick: 99%}\n"
	    "  p100: {tags: [web], pick: 100%}\n"
	    "  all: {tags: [web], pick: all}\n"
	    "  none: {tags: [nope], pick: 50%}\n"
	    STEPS);
	for (seed = 0; seed < 20; seed++) {
		plan_ok(x, seed, &p);
		assert_int_equal(p.groups[0].n, 1);
		assert_int_equal(p.groups[1].n, 2);
		assert_int_equal(p.groups[2].n, 3);
		/* Percentages round up: never none of a non-empty group. */
		assert_int_equal(p.groups[3].n, 1);
		assert_int_equal(p.groups[4].n, 3);
		assert_int_equal(p.groups[5].n, 1);
		assert_int_equal(p.groups[6].n, 10);
		assert_int_equal(p.groups[7].n, 5);
		assert_int_equal(p.groups[8].n, 5);
		assert_int_equal(p.groups[9].n, 0);
		hv_plan_release(&p);
	}
	hv_experiment_free(x);
}

/* A pick is a subset of the candidates, without repeats, in name order. */
/* pick: 4 on three hosts is an error, never "all of them". */
static void
test_pick_more_than_there_are(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_buf		 err = HV_BUF_INIT;
	struct hv_diag		 d;

	(void)state;
	x = build(HOSTS
	    "targets:\n"
	    "  many: {tags: [db], pick: 4}\n"
	    STEPS);
	assert_int_equal(hv_plan_make(x, 1, &p, &err), -1);
	assert_string_equal(err.s, "target group many: pick 4, but only 3 "
	    "hosts match");
	hv_diag_init(&d);
	assert_int_equal(hv_plan_check(x, &d), 1);
	assert_non_null(strstr(d.text.s, "pick 4, but only 3 hosts match"));
	hv_diag_release(&d);
	hv_buf_release(&err);
	hv_experiment_free(x);
}

/* validate sees what any seed's plan would refuse, at its position. */
static void
test_plan_check_max_targets(void **state)
{
	struct hv_experiment	*x;
	struct hv_diag		 d;

	(void)state;
	/* Two groups of one pick each from web: one seed may pick two. */
	x = build(HOSTS
	    "targets:\n"
	    "  a: {tags: [web], pick: 1}\n"
	    "  b: {tags: [web], pick: 1}\n"
	    "method:\n"
	    "  - {action: shell.run, on: a, with: {command: 'true'}}\n"
	    "  - {action: shell.run, on: b, with: {command: 'true'}}\n"
	    "safety:\n"
	    "  max_targets: 1\n");
	hv_diag_init(&d);
	assert_int_equal(hv_plan_check(x, &d), 1);
	assert_non_null(strstr(d.text.s, "plan.yaml:19:16: safety: actions "
	    "may touch 2 hosts, more than max_targets 1"));
	hv_diag_release(&d);
	hv_experiment_free(x);
	/* Probes and unused groups do not count; one group of all does. */
	x = build(HOSTS
	    "targets:\n"
	    "  web: {tags: [web]}\n"
	    "  db: {tags: [db]}\n"
	    "steady_state:\n"
	    "  - {name: p, probe: ssh, on: web, with: {command: 'true'}}\n"
	    "method:\n"
	    "  - {action: shell.run, on: db, with: {command: 'true'}}\n"
	    "safety:\n"
	    "  max_targets: 3\n");
	hv_diag_init(&d);
	assert_int_equal(hv_plan_check(x, &d), 0);
	hv_diag_release(&d);
	hv_experiment_free(x);
}

static void
test_pick_is_a_sorted_subset(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	uint64_t		 seed;
	size_t			 i;

	(void)state;
	x = build(HOSTS "targets:\n  three: {tags: [web], pick: 3}\n" STEPS);
	for (seed = 0; seed < 100; seed++) {
		plan_ok(x, seed, &p);
		assert_int_equal(p.groups[0].n, 3);
		for (i = 0; i < 3; i++) {
			assert_true(strncmp(p.groups[0].hosts[i]->name, "web-",
			    4) == 0);
			if (i > 0)
				assert_true(strcmp(
				    p.groups[0].hosts[i - 1]->name,
				    p.groups[0].hosts[i]->name) < 0);
		}
		hv_plan_release(&p);
	}
	hv_experiment_free(x);
}

static void
test_pick_deterministic(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	char			*first, *again, *seen[200];
	size_t			 nseen = 0, i;
	uint64_t		 seed;
	int			 hits[5] = { 0 };

	(void)state;
	x = build(HOSTS "targets:\n  one: {tags: [web], pick: 1}\n"
	    "  two: {tags: [web], pick: 2}\n" STEPS);
	/* The same seed, the same hosts, every time. */
	for (seed = 0; seed < 50; seed++) {
		plan_ok(x, seed * 7919, &p);
		first = names(x, &p, "two");
		hv_plan_release(&p);
		plan_ok(x, seed * 7919, &p);
		again = names(x, &p, "two");
		hv_plan_release(&p);
		assert_string_equal(first, again);
		free(again);
		for (i = 0; i < nseen; i++) {
			if (strcmp(seen[i], first) == 0)
				break;
		}
		if (i == nseen)
			seen[nseen++] = first;
		else
			free(first);
	}
	/* Different seeds, different picks. */
	assert_true(nseen >= 2);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	/* And every candidate gets its turn. */
	for (seed = 0; seed < 200; seed++) {
		plan_ok(x, seed, &p);
		hits[p.groups[0].hosts[0]->name[4] - '1']++;
		hv_plan_release(&p);
	}
	for (i = 0; i < 5; i++) {
		if (hits[i] < 10)
			fail_msg("web-%zu picked %d times in 200", i + 1,
			    hits[i]);
	}
	/* A large seed is kept as it is (it is printed and stored). */
	plan_ok(x, UINT64_MAX, &p);
	assert_true(p.seed == UINT64_MAX);
	hv_plan_release(&p);
	hv_experiment_free(x);
}

/* Adding a group, before or after, leaves the others' picks alone. */
static void
test_pick_independent(void **state)
{
	struct hv_experiment	*a, *b, *c;
	struct hv_plan		 pa, pb, pc;
	char			*na, *nb, *nc;
	uint64_t		 seed;

	(void)state;
	a = build(HOSTS "targets:\n"
	    "  two: {tags: [web], pick: 2}\n" STEPS);
	b = build(HOSTS "targets:\n"
	    "  other: {tags: [db], pick: 1}\n"
	    "  more: {tags: [web], pick: 1}\n"
	    "  two: {tags: [web], pick: 2}\n" STEPS);
	c = build(HOSTS "targets:\n"
	    "  two: {tags: [web], pick: 2}\n"
	    "  other: {tags: [web], pick: 3}\n" STEPS);
	for (seed = 0; seed < 50; seed++) {
		plan_ok(a, seed, &pa);
		plan_ok(b, seed, &pb);
		plan_ok(c, seed, &pc);
		na = names(a, &pa, "two");
		nb = names(b, &pb, "two");
		nc = names(c, &pc, "two");
		if (strcmp(na, nb) != 0 || strcmp(na, nc) != 0)
			fail_msg("seed %llu: \"%s\" alone, \"%s\" after "
			    "other groups, \"%s\" before them",
			    (unsigned long long)seed, na, nb, nc);
		free(na);
		free(nb);
		free(nc);
		hv_plan_release(&pa);
		hv_plan_release(&pb);
		hv_plan_release(&pc);
	}
	hv_experiment_free(a);
	hv_experiment_free(b);
	hv_experiment_free(c);
}

/* Two groups with the same rule draw separately, not in lockstep. */
static void
test_pick_groups_differ(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	uint64_t		 seed;
	int			 differ = 0;

	(void)state;
	x = build(HOSTS "targets:\n"
	    "  a: {tags: [web], pick: 1}\n"
	    "  b: {tags: [web], pick: 1}\n" STEPS);
	for (seed = 0; seed < 50; seed++) {
		plan_ok(x, seed, &p);
		differ += p.groups[0].hosts[0] != p.groups[1].hosts[0];
		hv_plan_release(&p);
	}
	assert_true(differ > 0);
	hv_experiment_free(x);
}

static void
test_max_targets_refused(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_buf		 err = HV_BUF_INIT;

	(void)state;
	x = build(HOSTS "targets:\n  web: {tags: [web]}\n" STEPS
	    "safety: {max_targets: 2}\n");
	aim(x, &x->method[0], "web");
	assert_int_equal(hv_plan_make(x, 42, &p, &err), -1);
	assert_string_equal(err.s, "safety: actions would touch 5 hosts, "
	    "more than max_targets 2 (web-1, web-2, web-3, web-4, web-5)");
	/* A refused plan is released. */
	assert_null(p.groups);
	assert_null(p.touched);
	assert_int_equal(p.ntouched, 0);
	hv_buf_release(&err);
	hv_experiment_free(x);
}

static void
test_max_targets_distinct(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_buf		 err = HV_BUF_INIT;

	(void)state;
	x = build(HOSTS "targets:\n"
	    "  web_eu: {tags: [web, eu]}\n"
	    "  web3: {hosts: [web-3]}\n"
	    "  eu: {tags: [eu]}\n"
	    "  one_web: {tags: [web], pick: 1}\n"
	    STEPS "safety: {max_targets: 3}\n");
	/* Three steps on the same three hosts: three hosts. */
	aim(x, &x->method[0], "web_eu");
	aim(x, &x->method[1], "web_eu");
	aim(x, &x->method[2], "web3");
	aim(x, &x->rollbacks[0], "web_eu");
	plan_ok(x, 5, &p);
	assert_int_equal(p.ntouched, 3);
	hv_plan_release(&p);
	/* A rollback is an action: its hosts count. */
	aim(x, &x->rollbacks[0], "eu");
	assert_int_equal(hv_plan_make(x, 5, &p, &err), -1);
	assert_string_equal(err.s, "safety: actions would touch 5 hosts, "
	    "more than max_targets 3 (web-1, web-2, web-3, db-1, db-2)");
	hv_buf_reset(&err);
	/* Exactly at the limit is allowed. */
	x->max_targets = 5;
	plan_ok(x, 5, &p);
	assert_int_equal(p.ntouched, 5);
	hv_plan_release(&p);
	/* The hosts a pick left out are not touched. */
	x->rollbacks[0].group = -1;
	x->max_targets = 1;
	aim(x, &x->method[0], "one_web");
	x->method[1].group = -1;
	x->method[2].group = -1;
	plan_ok(x, 5, &p);
	assert_int_equal(p.ntouched, 1);
	hv_plan_release(&p);
	hv_buf_release(&err);
	hv_experiment_free(x);
}

static void
test_probes_do_not_count(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;

	(void)state;
	x = build(HOSTS "targets:\n"
	    "  web: {tags: [web]}\n"
	    "  canary: {tags: [canary]}\n"
	    STEPS "safety: {max_targets: 1}\n");
	/* A probe on five hosts, an action on one. */
	aim(x, &x->steady[0], "web");
	aim(x, &x->method[0], "canary");
	plan_ok(x, 9, &p);
	assert_int_equal(p.ntouched, 1);
	assert_string_equal(p.touched[0]->name, "web-3");
	assert_int_equal(hv_plan_targets(&p, &x->steady[0])->n, 5);
	assert_int_equal(hv_plan_targets(&p, &x->method[0])->n, 1);
	/* An untargeted step has no hosts. */
	assert_int_equal(hv_plan_targets(&p, &x->method[1])->n, 0);
	assert_null(hv_plan_targets(&p, &x->method[1])->hosts);
	hv_plan_release(&p);
	/* Without max_targets, any number. */
	x->max_targets = 0;
	aim(x, &x->method[0], "web");
	plan_ok(x, 9, &p);
	assert_int_equal(p.ntouched, 5);
	hv_plan_release(&p);
	hv_experiment_free(x);
}

static void
test_empty_group_refused(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_buf		 err = HV_BUF_INIT;

	(void)state;
	x = build(HOSTS "targets:\n"
	    "  web: {tags: [web]}\n"
	    "  ghosts: {tags: [web, db]}\n" STEPS);
	/* Defined but unused, an empty group is harmless. */
	plan_ok(x, 3, &p);
	hv_plan_release(&p);
	/* Used by a step, even a probe, it is refused. */
	aim(x, &x->method[1], "ghosts");
	assert_int_equal(hv_plan_make(x, 3, &p, &err), -1);
	assert_string_equal(err.s, "target group ghosts matches no host "
	    "(step \"two\")");
	hv_buf_reset(&err);
	x->method[1].group = -1;
	aim(x, &x->steady[0], "ghosts");
	aim(x, &x->rollbacks[0], "ghosts");
	assert_int_equal(hv_plan_make(x, 3, &p, &err), -1);
	assert_string_equal(err.s, "target group ghosts matches no host "
	    "(step \"up\"); target group ghosts matches no host (step "
	    "\"undo\")");
	hv_buf_release(&err);
	hv_experiment_free(x);
}

/* A step's with: for each host: ${target.*} filled in, then checked. */
static void
test_plan_params(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_step		 s;
	struct hv_node		*with, *expect, *n;
	struct hv_diag		 d;
	struct hv_expand	 ex = { 0 };
	struct hv_buf		 err = HV_BUF_INIT;
	const struct hv_targets	*t;
	const char		*wtext = "{command: [echo, \"${target.name}\", "
	    "\"${target.address}\", \"tags=${target.tags}\", \"${site}\"], "
	    "input: plain}";
	const char		*etext = "{output_matches: "
	    "\"^${target.name}$\", exit_code: \"${target.name}\"}";

	(void)state;
	x = build(HOSTS "vars: {site: \"http://lb\"}\n"
	    "targets:\n  web_eu: {tags: [web, eu], pick: 2}\n" STEPS);
	hv_diag_init(&d);
	with = hv_yaml_parse("w.yaml", wtext, strlen(wtext), &d);
	expect = hv_yaml_parse("e.yaml", etext, strlen(etext), &d);
	assert_int_equal(d.count, 0);
	ex.vars = x->vars;
	ex.nvars = x->nvars;
	assert_int_equal(hv_expand_tree(&ex, with, &d), 0);
	assert_int_equal(hv_expand_tree(&ex, expect, &d), 0);
	memset(&s, 0, sizeof s);
	s.name = "probe it";
	s.kind = HV_STEP_PROBE;
	s.driver = hv_driver_find("local");
	s.with = with;
	s.expect = expect;
	aim(x, &s, "web_eu");
	plan_ok(x, 11, &p);
	t = hv_plan_targets(&p, &s);
	assert_int_equal(t->n, 2);

	n = hv_plan_params(x, &s, s.with, t->hosts[0], &err);
	assert_non_null(n);
	assert_string_equal(hv_node_get(n, "command")->items[1]->str,
	    t->hosts[0]->name);
	assert_string_equal(hv_node_get(n, "command")->items[2]->str,
	    t->hosts[0]->address);
	assert_string_equal(hv_node_get(n, "command")->items[3]->str,
	    strcmp(t->hosts[0]->name, "web-3") == 0 ? "tags=web,eu,canary" :
	    "tags=web,eu");
	assert_string_equal(hv_node_get(n, "command")->items[4]->str,
	    "http://lb");
	assert_false(hv_node_get(n, "command")->items[1]->deferred);
	assert_string_equal(hv_node_get(n, "input")->str, "plain");
	hv_node_free(n);
	n = hv_plan_params(x, &s, s.with, t->hosts[1], &err);
	assert_non_null(n);
	assert_string_equal(hv_node_get(n, "command")->items[1]->str,
	    t->hosts[1]->name);
	hv_node_free(n);
	/* The step's own tree is left as it was, for the next host. */
	assert_string_equal(hv_node_get(with, "command")->items[1]->str,
	    "${target.name}");

	/* expect: uses the expect table: exit_code must be an integer. */
	n = hv_plan_params(x, &s, s.expect, t->hosts[0], &err);
	assert_null(n);
	assert_string_equal(err.s, strcmp(t->hosts[0]->name, "web-1") == 0 ?
	    "exit_code: \"web-1\" is not an integer" :
	    "exit_code: \"web-2\" is not an integer");
	hv_buf_reset(&err);

	/* Without a host, a copy as written. */
	n = hv_plan_params(x, &s, s.with, NULL, &err);
	assert_non_null(n);
	assert_string_equal(hv_node_get(n, "command")->items[1]->str,
	    "${target.name}");
	hv_node_free(n);
	assert_null(hv_plan_params(x, &s, NULL, t->hosts[0], &err));
	assert_int_equal(err.len, 0);

	hv_plan_release(&p);
	hv_node_free(with);
	hv_node_free(expect);
	hv_diag_release(&d);
	hv_buf_release(&err);
	hv_experiment_free(x);
}

/* The same through a file, with a driver that runs on targets. */
static void
test_plan_from_yaml_on(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_buf		 err = HV_BUF_INIT;
	const struct hv_targets	*t;
	struct hv_node		*n;
	const struct hv_driver	*d = hv_driver_find("process.kill");

	(void)state;
	if (d == NULL || d->target != HV_TARGET_REQUIRED)
		skip();
	x = build(HOSTS "targets:\n"
	    "  web_eu: {tags: [web, eu]}\n"
	    "  one_eu: {tags: [web, eu], pick: 1}\n"
	    "method:\n"
	    "  - {action: process.kill, on: web_eu, with: {name: nginx}}\n"
	    "  - {action: process.kill, on: one_eu, "
	    "with: {pattern: \"app ${target.name}\"}}\n"
	    "safety: {max_targets: 3}\n");
	/* One host picked again by another group: still three hosts. */
	plan_ok(x, 8, &p);
	assert_int_equal(p.ntouched, 3);
	t = hv_plan_targets(&p, &x->method[1]);
	assert_int_equal(t->n, 1);
	n = hv_plan_params(x, &x->method[1], x->method[1].with, t->hosts[0],
	    &err);
	assert_non_null(n);
	assert_true(strncmp(hv_node_get(n, "pattern")->str, "app web-", 8)
	    == 0);
	assert_string_equal(hv_node_get(n, "pattern")->str + 4,
	    t->hosts[0]->name);
	hv_node_free(n);
	hv_plan_release(&p);
	x->max_targets = 2;
	assert_int_equal(hv_plan_make(x, 8, &p, &err), -1);
	assert_string_equal(err.s, "safety: actions would touch 3 hosts, "
	    "more than max_targets 2 (web-1, web-2, web-3)");
	hv_buf_release(&err);
	hv_experiment_free(x);
}

static void
test_plan_json_and_print(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	char			*json, *text = NULL;
	size_t			 len = 0;
	FILE			*f;

	(void)state;
	x = build(HOSTS "title: T\ntargets:\n"
	    "  web_eu: {tags: [web, eu]}\n"
	    "  none: {tags: [nope]}\n" STEPS "safety: {max_targets: 3}\n");
	aim(x, &x->method[0], "web_eu");
	plan_ok(x, 77, &p);
	json = hv_plan_json(x, &p);
	assert_string_equal(json, "{\"groups\":{\"none\":[],\"web_eu\":"
	    "[\"web-1\",\"web-2\",\"web-3\"]},\"seed\":77}");
	free(json);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	hv_plan_print(x, &p, f);
	fclose(f);
	assert_non_null(strstr(text, "experiment: T\n"));
	assert_non_null(strstr(text, "seed: 77\n"));
	assert_non_null(strstr(text, "target web_eu: web-1 (10.0.0.1) web-2 "
	    "(10.0.0.2) web-3 (10.0.0.3)\n"));
	assert_non_null(strstr(text, "target none: (none)\n"));
	assert_non_null(strstr(text, "blast radius: 3 hosts (max_targets "
	    "3)\n"));
	assert_non_null(strstr(text, "1. one (action local.run on web_eu: 3 "
	    "hosts)\n"));
	assert_non_null(strstr(text, "      web-2: run true\n"));
	free(text);
	hv_plan_release(&p);
	hv_experiment_free(x);
}

/* What hv_plan_print() prints of p (new). */
static char *
print_plan(const struct hv_experiment *x, const struct hv_plan *p)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&text, &len);

	assert_non_null(f);
	hv_plan_print(x, p, f);
	fclose(f);
	return text;
}

/* plan_refused: the plan is refused with a message holding want. */
static void
plan_refused(const struct hv_experiment *x, const char *want)
{
	struct hv_plan	p;
	struct hv_buf	err = HV_BUF_INIT;

	if (hv_plan_make(x, 1, &p, &err) != -1)
		fail_msg("plan accepted; wanted \"%s\"", want);
	if (strstr(err.s, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err.s, want);
	hv_buf_release(&err);
}

/*
 * max_targets counts the hosts actions run on; what a partition cuts a
 * target off from is shown (also reaches) but not counted.
 */
static void
test_blast_radius_counts_targets(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	char			*out;

	(void)state;
	x = build(HOSTS "targets:\n"
	    "  one: {hosts: [web-1]}\n  dbs: {tags: [db]}\n"
	    "method:\n"
	    "  - {action: network.partition, on: one, with: {peers: dbs}}\n"
	    "safety: {max_targets: 1}\n");
	plan_ok(x, 1, &p);
	assert_int_equal(p.ntouched, 1);
	assert_int_equal(p.nreached, 3);
	out = print_plan(x, &p);
	assert_non_null(strstr(out, "blast radius: 1 host (max_targets 1)\n"
	    "also reaches: db-1, db-2, db-3\n"));
	free(out);
	hv_plan_release(&p);
	hv_experiment_free(x);

	/* Targets of every action count, each host once. */
	x = build(HOSTS "targets:\n"
	    "  one: {hosts: [web-1]}\n  dbs: {tags: [db]}\n"
	    "method:\n"
	    "  - {action: network.partition, on: one, with: {peers: dbs}}\n"
	    "  - {action: process.kill, on: dbs, with: {name: pg}}\n"
	    "  - {action: process.kill, on: one, with: {name: pg}}\n"
	    "safety: {max_targets: 3}\n");
	plan_refused(x, "actions would touch 4 hosts, more than max_targets 3 "
	    "(web-1, db-1, db-2, db-3)");
	hv_experiment_free(x);

	/* Addresses: one in the inventory is that host; the rest count. */
	x = build(HOSTS "targets:\n  one: {hosts: [web-1]}\n"
	    "method:\n"
	    "  - {action: network.partition, on: one, with: {peers: "
	    "[10.0.1.1, 192.0.2.7, 192.0.2.8/32, 10.0.0.0/8]}}\n"
	    "safety: {max_targets: 1}\n");
	plan_ok(x, 1, &p);
	assert_int_equal(p.nreached, 1);
	assert_int_equal(p.addresses, 2);
	assert_int_equal(p.ranges, 1);
	out = print_plan(x, &p);
	assert_non_null(strstr(out, "also reaches: db-1, 2 other addresses, "
	    "1 address range\n"));
	free(out);
	hv_plan_release(&p);
	hv_experiment_free(x);
}

/* A single address is a list of one: never all traffic. */
static void
test_single_address_is_a_list(void **state)
{
	struct hv_experiment	*x;
	struct hv_plan		 p;
	struct hv_node		*with;
	struct hv_buf		 err = HV_BUF_INIT;
	const struct hv_node	*dest;

	(void)state;
	x = build(HOSTS "targets:\n  one: {hosts: [web-1]}\n"
	    "method:\n"
	    "  - {action: network.loss, on: one, with: {percent: 50, "
	    "destination: 10.0.1.1}}\n");
	plan_ok(x, 1, &p);
	with = hv_plan_params(x, &x->method[0], x->method[0].with,
	    p.groups[0].hosts[0], &err);
	assert_non_null(with);
	hv_plan_resolve_groups(x, &p, &x->method[0], with);
	dest = hv_node_get(with, "destination");
	assert_int_equal(dest->kind, HV_NODE_SEQ);
	assert_int_equal(dest->n, 1);
	assert_string_equal(dest->items[0]->str, "10.0.1.1");
	hv_node_free(with);
	hv_plan_release(&p);
	hv_experiment_free(x);
	hv_buf_release(&err);
}

/* Two names for one address in a group are refused. */
static void
test_duplicate_addresses_refused(void **state)
{
	struct hv_experiment	*x;

	(void)state;
	x = build("hosts:\n"
	    "  web-1: {address: 10.0.0.1, tags: [web]}\n"
	    "  alias: {address: 10.0.0.1, tags: [web]}\n"
	    "targets:\n  web: {tags: [web]}\n"
	    "method:\n"
	    "  - {action: process.kill, on: web, with: {name: nginx}}\n");
	plan_refused(x, "hosts alias and web-1 have the same address 10.0.0.1");
	hv_experiment_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_and_names),
		cmocka_unit_test(test_pick_counts),
		cmocka_unit_test(test_pick_more_than_there_are),
		cmocka_unit_test(test_plan_check_max_targets),
		cmocka_unit_test(test_pick_is_a_sorted_subset),
		cmocka_unit_test(test_pick_deterministic),
		cmocka_unit_test(test_pick_independent),
		cmocka_unit_test(test_pick_groups_differ),
		cmocka_unit_test(test_max_targets_refused),
		cmocka_unit_test(test_max_targets_distinct),
		cmocka_unit_test(test_probes_do_not_count),
		cmocka_unit_test(test_empty_group_refused),
		cmocka_unit_test(test_plan_params),
		cmocka_unit_test(test_plan_from_yaml_on),
		cmocka_unit_test(test_plan_json_and_print),
		cmocka_unit_test(test_blast_radius_counts_targets),
		cmocka_unit_test(test_single_address_is_a_list),
		cmocka_unit_test(test_duplicate_addresses_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
