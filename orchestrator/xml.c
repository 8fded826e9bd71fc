/*
 * xml.c - libxml2's tree parser, turned into havoc's own tree; the only
 * file that includes libxml2's headers.
 *
 * The tree is copied out of libxml2's document at once, so that nothing
 * else ever holds a libxml2 pointer and the strings outlive the parser.
 */
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
	xmlSetGenericErrorFunc(NULL, quiet);
	/* No network, no DTD, no entities of the document's own making. */
	opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA;
	xmlResetLastError();
	doc = xmlReadMemory(data, (int)len, "response.xml", NULL, opts);
	if (doc == NULL) {
		e = xmlGetLastError();
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
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
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
	xmlFreeDoc(doc);
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
