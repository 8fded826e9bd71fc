/*
 * aws-tool.c - drives havoc's AWS client (orchestrator/aws.h) from the
 * command line, for the lab tests against moto and the benchmark, until
 * havoc's own cloud drivers do (issue 10, stage B).
 *
 * Usage: aws-tool [--region R] [--endpoint URL] [--profile P]
 *                 [--deadline MS] [--running] COMMAND ARGS...
 *   resolve asg NAME | tags KEY=VALUE... | ids ID...
 *                     one line per instance: id state ip image asg
 *                     lifecycle health (a dash for none)
 *   terminate ID...   TerminateInstances; "id previous current" lines
 *   stop ID... | start ID... | reboot ID...
 *   terminate-in-asg ID [--decrement]
 *                     TerminateInstanceInAutoScalingGroup
 *   images ID...      DescribeImages: "id name state"
 *   lt-versions NAME [VERSION]
 *                     DescribeLaunchTemplateVersions: "version default image"
 *   call ec2|autoscaling ACTION [NAME=VALUE...]
 *                     any action, every page; prints pages and requests
 * Exit: 0 done, 1 the call failed (AWS's error on stderr), 64 usage.
 * The credentials come from the standard chain (or --profile); the
 * source, never a key, is printed with --verbose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "loop.h"
#include "util.h"

static int	finished;

static void
on_done(struct hv_aws_call *c, void *arg)
{
	(void)c;
	(void)arg;
	finished = 1;
}

static void
on_resolved(struct hv_aws_resolve *r, void *arg)
{
	(void)r;
	(void)arg;
	finished = 1;
}

static int
is_finished(void *arg)
{
	(void)arg;
	return finished;
}

static const char *
d(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static int
usage(void)
{
	fprintf(stderr, "usage: aws-tool [--region R] [--endpoint URL] "
	    "[--profile P] [--deadline MS] [--running] [--verbose] "
	    "COMMAND ARGS...\n");
	return 64;
}

/* Runs the loop until the call or resolution is over (bounded). */
static int
run(struct hv_loop *loop, int64_t deadline_ms)
{
	finished = 0;
	if (hv_loop_run(loop, is_finished, NULL, hv_mono_ms() + deadline_ms +
	    5000) != 0 || !finished) {
		fprintf(stderr, "aws-tool: the loop did not finish\n");
		return -1;
	}
	return 0;
}

static void
print_instances(const struct hv_aws_instances *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		printf("%s %s %s %s %s %s %s\n", l->v[i].id,
		    d(l->v[i].state), d(l->v[i].private_ip),
		    d(l->v[i].image_id), d(l->v[i].asg), d(l->v[i].lifecycle),
		    d(l->v[i].health));
}

int
main(int argc, char **argv)
{
	struct hv_aws_config	 cfg;
	struct hv_aws_selector	 sel;
	struct hv_loop		*loop;
	struct hv_aws		*aws = NULL;
	struct hv_aws_call	*c = NULL;
	struct hv_aws_resolve	*r = NULL;
	struct hv_aws_tag	*tags = NULL;
	struct hv_buf		 err = HV_BUF_INIT, form = HV_BUF_INIT;
	const struct hv_aws_res	*res;
	const struct hv_aws_instances *found;
	enum hv_aws_service	 svc = HV_AWS_EC2;
	const char		*cmd, *action = NULL;
	long long		 v;
	int			 i, running = 0, verbose = 0, rc = 1, decr = 0;
	size_t			 k;

	memset(&cfg, 0, sizeof cfg);
	memset(&sel, 0, sizeof sel);
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--running") == 0)
			running = 1;
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else if (i + 1 >= argc)
			return usage();
		else if (strcmp(argv[i], "--region") == 0)
			cfg.region = argv[++i];
		else if (strcmp(argv[i], "--endpoint") == 0)
			cfg.endpoint = argv[++i];
		else if (strcmp(argv[i], "--profile") == 0)
			cfg.profile = argv[++i];
		else if (strcmp(argv[i], "--deadline") == 0) {
			if (hv_parse_int(argv[++i], &v) == -1 || v <= 0)
				return usage();
			cfg.deadline_ms = v;
		} else
			return usage();
	}
	if (i >= argc)
		return usage();
	cmd = argv[i++];
	if ((loop = hv_loop_new()) == NULL)
		return 1;
	if ((aws = hv_aws_new(loop, &cfg, &err)) == NULL) {
		fprintf(stderr, "aws-tool: %s\n", err.s);
		goto out;
	}
	if (cfg.deadline_ms == 0)
		cfg.deadline_ms = HV_AWS_DEADLINE;

	if (strcmp(cmd, "resolve") == 0) {
		if (i + 1 >= argc)
			return usage();
		sel.running_only = running;
		if (strcmp(argv[i], "asg") == 0)
			sel.asg = argv[i + 1];
		else if (strcmp(argv[i], "ids") == 0) {
			sel.ids = (const char *const *)&argv[i + 1];
			sel.nids = (size_t)(argc - i - 1);
		} else if (strcmp(argv[i], "tags") == 0) {
			sel.ntags = (size_t)(argc - i - 1);
			tags = hv_xcalloc(sel.ntags, sizeof *tags);
			for (k = 0; k < sel.ntags; k++) {
				char *a = argv[i + 1 + k], *eq = strchr(a, '=');

				if (eq == NULL)
					return usage();
				*eq = '\0';
				tags[k].key = a;
				tags[k].value = eq + 1;
			}
			sel.tags = tags;
		} else
			return usage();
		if ((r = hv_aws_resolve_start(aws, &sel, on_resolved, NULL,
		    &err)) == NULL || run(loop, cfg.deadline_ms) == -1) {
			fprintf(stderr, "aws-tool: %s\n", err.s);
			goto out;
		}
		if ((found = hv_aws_resolved(r, &err)) == NULL) {
			fprintf(stderr, "aws-tool: %s\n", err.s);
			goto out;
		}
		print_instances(found);
		rc = 0;
		goto out;
	}

	if (strcmp(cmd, "terminate") == 0)
		action = "TerminateInstances";
	else if (strcmp(cmd, "stop") == 0)
		action = "StopInstances";
	else if (strcmp(cmd, "start") == 0)
		action = "StartInstances";
	else if (strcmp(cmd, "reboot") == 0)
		action = "RebootInstances";
	if (action != NULL) {
		hv_aws_param_list(&form, "InstanceId",
		    (const char *const *)&argv[i], (size_t)(argc - i));
	} else if (strcmp(cmd, "terminate-in-asg") == 0 && i < argc) {
		svc = HV_AWS_ASG;
		action = "TerminateInstanceInAutoScalingGroup";
		decr = i + 1 < argc && strcmp(argv[i + 1], "--decrement") == 0;
		hv_aws_param_terminate_in_asg(&form, argv[i], decr);
	} else if (strcmp(cmd, "images") == 0) {
		action = "DescribeImages";
		hv_aws_param_list(&form, "ImageId",
		    (const char *const *)&argv[i], (size_t)(argc - i));
	} else if (strcmp(cmd, "lt-versions") == 0 && i < argc) {
		action = "DescribeLaunchTemplateVersions";
		hv_aws_param(&form, "LaunchTemplateName", argv[i]);
		if (i + 1 < argc)
			hv_aws_param(&form, "LaunchTemplateVersion.1",
			    argv[i + 1]);
	} else if (strcmp(cmd, "call") == 0 && i + 1 < argc) {
		svc = strcmp(argv[i], "ec2") == 0 ? HV_AWS_EC2 : HV_AWS_ASG;
		action = argv[i + 1];
		for (i += 2; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (eq == NULL)
				return usage();
			*eq = '\0';
			hv_aws_param(&form, argv[i], eq + 1);
		}
	} else
		return usage();

	if ((c = hv_aws_call(aws, svc, action, form.s, HV_AWS_ALL_PAGES,
	    on_done, NULL, &err)) == NULL || run(loop, cfg.deadline_ms) ==
	    -1) {
		fprintf(stderr, "aws-tool: %s\n", err.s);
		goto out;
	}
	res = hv_aws_result(c);
	if (verbose)
		fprintf(stderr, "aws-tool: credentials from %s; %d requests, "
		    "%d retries, %.0f ms\n", hv_aws_source(aws), res->requests,
		    res->retries, res->elapsed_ms);
	if (!res->ok) {
		fprintf(stderr, "aws-tool: %s\n", res->error.s);
		goto out;
	}
	if (strcmp(cmd, "images") == 0) {
		struct hv_aws_images im = { NULL, 0 };

		if (hv_aws_parse_images(res, &im, &err) == 0)
			for (k = 0; k < im.n; k++)
				printf("%s %s %s\n", im.v[k].id,
				    d(im.v[k].name), d(im.v[k].state));
		hv_aws_images_release(&im);
	} else if (strcmp(cmd, "lt-versions") == 0) {
		struct hv_aws_lt_versions lv = { NULL, 0 };

		if (hv_aws_parse_lt_versions(res, &lv, &err) == 0)
			for (k = 0; k < lv.n; k++)
				printf("%ld %s %s\n", lv.v[k].version,
				    lv.v[k].is_default ? "default" : "-",
				    d(lv.v[k].image_id));
		hv_aws_lt_versions_release(&lv);
	} else if (strcmp(cmd, "call") == 0 ||
	    strcmp(cmd, "reboot") == 0 ||
	    strcmp(cmd, "terminate-in-asg") == 0) {
		printf("ok %zu pages, %d requests\n", res->npages,
		    res->requests);
	} else {
		struct hv_aws_state_changes sc = { NULL, 0 };

		if (hv_aws_parse_state_changes(res, &sc, &err) == 0)
			for (k = 0; k < sc.n; k++)
				printf("%s %s %s\n", sc.v[k].id,
				    d(sc.v[k].previous), d(sc.v[k].current));
		hv_aws_state_changes_release(&sc);
	}
	if (err.len > 0) {
		fprintf(stderr, "aws-tool: %s\n", err.s);
		goto out;
	}
	rc = 0;
out:
	hv_aws_call_free(c);
	hv_aws_resolve_free(r);
	free(tags);
	hv_aws_free(aws);
	hv_loop_free(loop);
	hv_buf_release(&err);
	hv_buf_release(&form);
	return rc;
}
