/*
 * replay.c - runs a fuzz target's LLVMFuzzerTestOneInput over its seed
 * corpus without libFuzzer, so every `make check` (and any sanitizer or
 * valgrind build) exercises the decoders on the seeds.  Owns nothing but
 * reading files: a crash is the failure, a clean run exits 0.
 *
 * Usage: replay_X [FILE|DIR...]   (CORPUS_DIR is always replayed first)
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef CORPUS_DIR
#error "CORPUS_DIR must name the seed corpus directory"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each input gets an exact-size allocation so an overread is caught. */
static int replay_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	int ret = -1;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	(*count)++;
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "replay: cannot read %s\n", path);
	free(buf);
	fclose(f);
	return ret;
}

static int replay_path(const char *path, unsigned long *count)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	int ret = 0;
	DIR *d;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? replay_file(path, count) : 0;
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(sub, count))
			ret = -1;
	}
	closedir(d);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int i, ret;

	ret = replay_path(CORPUS_DIR, &count);
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count))
			ret = -1;
	printf("replay: %lu inputs\n", count);
	return ret ? 1 : 0;
}
