// A small main library for libpython: its world exports run(code) -> string, evaluating a
// Python expression (after running statements before a final line) with CPython.
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
typedef struct _object PyObject;
void Py_InitializeEx(int);
PyObject *PyRun_StringFlags(const char *, int, PyObject *, PyObject *, void *);
PyObject *PyImport_AddModule(const char *);
PyObject *PyModule_GetDict(PyObject *);
PyObject *PyObject_Str(PyObject *);
const char *PyUnicode_AsUTF8AndSize(PyObject *, long *);
void PyErr_Clear(void);
#define Py_file_input 257
#define Py_eval_input 258
static int initialized;
static uint32_t ret_area[2];
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t os, size_t al, size_t ns) { return realloc(old, ns); }
static uint32_t *reply(const char *s, size_t n) {
  char *out = malloc(n + 1); memcpy(out, s, n);
  ret_area[0] = (uint32_t)out; ret_area[1] = n; return ret_area;
}
__attribute__((export_name("run"))) uint32_t *run(char *code, size_t len) {
  if (!initialized) { Py_InitializeEx(0); initialized = 1; }
  char *src = malloc(len + 1); memcpy(src, code, len); src[len] = 0; free(code);
  PyObject *globals = PyModule_GetDict(PyImport_AddModule("__main__"));
  // statements first, the last line is the expression whose value is returned
  char *last = strrchr(src, '\n');
  if (last) { *last = 0; if (!PyRun_StringFlags(src, Py_file_input, globals, globals, 0)) { PyErr_Clear(); free(src); return reply("error", 5); } last++; }
  else last = src;
  PyObject *value = PyRun_StringFlags(last, Py_eval_input, globals, globals, 0);
  free(src);
  if (!value) { PyErr_Clear(); return reply("error", 5); }
  long n = 0; const char *text = PyUnicode_AsUTF8AndSize(PyObject_Str(value), &n);
  return reply(text, (size_t)n);
}
__attribute__((export_name("cabi_post_run"))) void post_run(uint32_t *r) { free((void *)r[0]); }
