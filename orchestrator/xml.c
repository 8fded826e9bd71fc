/*
 * xml.c - libxml2's tree parser, turned into havoc's own tree; the only
 * file that includes libxml2's headers.
 *
 * The tree is copied out of libxml2's document at once, so that nothing
 * else ever holds a libxml2 pointer and the strings outlive the parser.
 *
 * libxml2 is loaded on the first parse, not linked: it brings ICU and
 * libstdc++ along, 2.2 MB of memory and 4.8 million instructions of
 * relocations at every start of havoc, and only the AWS driver reads XML.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "util.h"
#include "xml.h"

struct hv_xml {
	struct hv_xml_node	*root;
};

#define LIBXML2_SO	"libxml2.so.2"

/* The functions of libxml2 used here, once loaded (so: the library). */
static struct {
	int		 tried;
	void		*so;
	char		 why[200];
	__typeof__(&xmlSetGenericErrorFunc)	set_error;
	__typeof__(&xmlResetLastError)		reset_error;
	__typeof__(&xmlGetLastError)		last_error;
	__typeof__(&xmlReadMemory)		read_memory;
	__typeof__(&xmlFreeDoc)			free_doc;
} lx;

/* Looks up one symbol of libxml2; 0 when it is missing. */
static int
sym(void *fp, const char *name)
{
	void	*p = dlsym(lx.so, name);

	if (p == NULL) {
		snprintf(lx.why, sizeof lx.why, "no %s in " LIBXML2_SO, name);
		return 0;
	}
	memcpy(fp, &p, sizeof p);
	return 1;
}

/* Loads libxml2 the first time; -1 (and why) when it cannot be. */
static int
load(struct hv_buf *err)
{
	const char	*e;

	if (!lx.tried) {
		lx.tried = 1;
		if ((lx.so = dlopen(LIBXML2_SO, RTLD_NOW | RTLD_LOCAL)) ==
		    NULL) {
			e = dlerror();
			snprintf(lx.why, sizeof lx.why, "%s",
			    e != NULL ? e : LIBXML2_SO " not found");
		} else if (!sym(&lx.set_error, "xmlSetGenericErrorFunc") ||
		    !sym(&lx.reset_error, "xmlResetLastError") ||
		    !sym(&lx.last_error, "xmlGetLastError") ||
		    !sym(&lx.read_memory, "xmlReadMemory") ||
		    !sym(&lx.free_doc, "xmlFreeDoc")) {
			dlclose(lx.so);
			lx.so = NULL;
		}
	}
	if (lx.so == NULL)
		return hv_error(err, "xml: cannot load libxml2 (install "
		    "the libxml2 package): %s", lx.why);
	return 0;
}

/* libxml2 prints parse errors on stderr unless told otherwise. */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
node_free(struct hv_xml_node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free((char *)n->name);
	free((char *)n->text);
	free(n);
}

/* Copies element e and what is under it; -1 when nested too deep. */
static struct hv_xml_node *
copy(xmlNode *e, struct hv_xml_node *parent, int depth)
{
	struct hv_xml_node	*n;
	struct hv_buf		 text = HV_BUF_INIT;
	xmlNode			*c;
	int			 any = 0;

	if (depth > HV_XML_DEPTH)
		return NULL;
	n = hv_xcalloc(1, sizeof *n);
	n->name = hv_xstrdup((const char *)e->name);
	n->parent = parent;
	for (c = e->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			if (c->content != NULL)
				hv_buf_puts(&text, (const char *)c->content);
			any = 1;
		} else if (c->type == XML_ELEMENT_NODE) {
			n->kids = hv_xreallocarray(n->kids, n->n + 1,
			    sizeof *n->kids);
			if ((n->kids[n->n] = copy(c, n, depth + 1)) == NULL) {
				hv_buf_release(&text);
				node_free(n);
				return NULL;
			}
			n->n++;
		}
	}
	/* An element with children has only layout white space as text. */
	if (any && n->n == 0)
		n->text = hv_buf_detach(&text);
	hv_buf_release(&text);
	return n;
}

int
hv_xml_ready(struct hv_buf *err)
{
	return load(err);
}

struct hv_xml *
hv_xml_parse(const char *data, size_t len, struct hv_buf *err)
{
	struct hv_xml	*x = NULL;
	xmlDoc		*doc;
	xmlNode		*root;
	const xmlError	*e;
	int		 opts;

	if (len > HV_XML_MAX) {
		hv_error(err, "xml: document of %zu bytes is too large", len);
		return NULL;
	}
	if (load(err) == -1)
		return NULL;
	lx.set_error(NULL, quiet);
	/* No network, no DTD, no entities of the document's own making. */
	opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA;
	lx.reset_error();
	doc = lx.read_memory(data, (int)len, "response.xml", NULL, opts);
	if (doc == NULL) {
		e = lx.last_error();
		if (e != NULL && e->line > 0)
			hv_error(err, "xml: not well-formed (line %d)",
			    e->line);
		else
			hv_error(err, "xml: not well-formed");
		return NULL;
	}
	if (doc->intSubset != NULL) {
		hv_error(err, "xml: a document type declaration is refused");
		goto out;
	}
	/* The root element: the document's first child element. */
	for (root = doc->children; root != NULL; root = root->next) {
		if (root->type == XML_ELEMENT_NODE)
			break;
	}
	if (root == NULL) {
		hv_error(err, "xml: no root element");
		goto out;
	}
	x = hv_xcalloc(1, sizeof *x);
	if ((x->root = copy(root, NULL, 0)) == NULL) {
		hv_error(err, "xml: nested deeper than %d elements",
		    HV_XML_DEPTH);
		free(x);
		x = NULL;
	}
out:
	lx.free_doc(doc);
	return x;
}

void
hv_xml_free(struct hv_xml *x)
{
	if (x == NULL)
		return;
	node_free(x->root);
	free(x);
}

const struct hv_xml_node *
hv_xml_root(const struct hv_xml *x)
{
	return x->root;
}

const struct hv_xml_node *
hv_xml_child(const struct hv_xml_node *n, const char *name)
{
	const char	*slash;
	size_t		 i, len;

	while (n != NULL && *name != '\0') {
		slash = strchr(name, '/');
		len = slash != NULL ? (size_t)(slash - name) : strlen(name);
		for (i = 0; i < n->n; i++) {
			if (strlen(n->kids[i]->name) == len &&
			    strncmp(n->kids[i]->name, name, len) == 0)
				break;
		}
		n = i < n->n ? n->kids[i] : NULL;
		name = slash != NULL ? slash + 1 : name + len;
	}
	return n;
}

const char *
hv_xml_get(const struct hv_xml_node *n, const char *path)
{
	n = hv_xml_child(n, path);
	return n != NULL ? n->text : NULL;
}
