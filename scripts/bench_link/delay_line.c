/*
 * delay_line: holds every packet of one NFQUEUE queue for a fixed time, then lets it through.
 *
 * Part of `deno task bench:link` (scripts/bench_link.ts), which builds it at run time with
 * gcc and Debian's libnetfilter-queue-dev, because this machine's kernel has no sch_netem.
 * The harness feeds it from an iptables rule on the receiving end's raw PREROUTING chain, so
 * a packet is delayed where it arrives (after the sender's socket has let go of it).
 *
 * Only packet metadata is copied to user space (NFQNL_COPY_META). Each packet id goes into a
 * FIFO with its due time; a timerfd armed for the oldest due time wakes the loop, and one batch
 * verdict (NF_ACCEPT up to the newest due id) releases everything that is due, in order.
 *
 * usage: delay_line QUEUE DELAY_US
 * Prints "ready" on standard output once bound, and one JSON line of counters when it gets
 * SIGTERM or SIGINT: packets, batches, mean and worst lateness of a batch, batches more than
 * 1 ms late, packets the kernel could not queue (overflow).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define FIFO_SIZE (1u << 17) /* more than the queue may hold (QUEUE_MAXLEN) */
#define QUEUE_MAXLEN 60000u

static uint32_t fifo_id[FIFO_SIZE];
static uint64_t fifo_due[FIFO_SIZE];
static uint32_t fifo_head, fifo_tail; /* held packets: [head, tail) */
static uint64_t delay_ns;
static uint64_t packets, batches, late_sum_ns, late_max_ns, late_over_1ms, overflow;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *data,
                     void *unused) {
  (void)message, (void)unused;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
  if (header == NULL) return 0;
  uint32_t id = ntohl(header->packet_id);
  if (fifo_tail - fifo_head >= FIFO_SIZE) { /* cannot happen below QUEUE_MAXLEN; never stall */
    overflow++;
    return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
  }
  fifo_id[fifo_tail % FIFO_SIZE] = id;
  fifo_due[fifo_tail % FIFO_SIZE] = now_ns() + delay_ns;
  fifo_tail++;
  packets++;
  return 0;
}

/* Arms the timer for the oldest held packet (or disarms it when none is held). */
static void arm(int timer) {
  struct itimerspec when = {0};
  if (fifo_head != fifo_tail) {
    uint64_t due = fifo_due[fifo_head % FIFO_SIZE];
    when.it_value.tv_sec = (time_t)(due / 1000000000u);
    when.it_value.tv_nsec = (long)(due % 1000000000u);
    if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0) when.it_value.tv_nsec = 1;
  }
  timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, NULL);
}

/* Releases every packet that is due with one batch verdict. */
static void release_due(struct nfq_q_handle *queue) {
  uint64_t now = now_ns();
  if (fifo_head == fifo_tail || fifo_due[fifo_head % FIFO_SIZE] > now) return;
  uint64_t late = now - fifo_due[fifo_head % FIFO_SIZE];
  uint32_t last = fifo_head;
  while (last + 1 != fifo_tail && fifo_due[(last + 1) % FIFO_SIZE] <= now) last++;
  nfq_set_verdict_batch(queue, fifo_id[last % FIFO_SIZE], NF_ACCEPT);
  fifo_head = last + 1;
  batches++;
  late_sum_ns += late;
  if (late > late_max_ns) late_max_ns = late;
  if (late > 1000000u) late_over_1ms++;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: delay_line QUEUE DELAY_US\n");
    return 2;
  }
  uint16_t queue_number = (uint16_t)atoi(argv[1]);
  delay_ns = (uint64_t)atoll(argv[2]) * 1000u;

  /* A delay line that runs late adds delay: ask for real-time priority (best effort). */
  struct sched_param priority = {.sched_priority = 1};
  if (sched_setscheduler(0, SCHED_FIFO, &priority) != 0) perror("delay_line: SCHED_FIFO");

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, NULL);
  int signals = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

  struct nfq_handle *handle = nfq_open();
  if (handle == NULL) {
    perror("delay_line: nfq_open");
    return 1;
  }
  struct nfq_q_handle *queue = nfq_create_queue(handle, queue_number, &on_packet, NULL);
  if (queue == NULL) {
    perror("delay_line: nfq_create_queue");
    return 1;
  }
  if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(queue, QUEUE_MAXLEN) < 0) {
    perror("delay_line: queue settings");
    return 1;
  }
  int fd = nfq_fd(handle);
  nfnl_rcvbufsiz(nfq_nfnlh(handle), 32u << 20);
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  printf("ready\n");
  fflush(stdout);

  static char buffer[1 << 16];
  struct pollfd fds[3] = {{.fd = fd, .events = POLLIN}, {.fd = timer, .events = POLLIN},
                          {.fd = signals, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      perror("delay_line: poll");
      break;
    }
    if (fds[2].revents) break;
    if (fds[0].revents & POLLIN) {
      for (;;) {
        ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0) {
          if (errno == ENOBUFS) {
            overflow++;
            continue;
          }
          break; /* EAGAIN: drained */
        }
        nfq_handle_packet(handle, buffer, (int)n);
      }
    }
    if (fds[1].revents & POLLIN) {
      uint64_t expirations;
      if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) perror("delay_line: timer");
    }
    release_due(queue);
    arm(timer);
  }
  /* Let whatever is still held through rather than leave it queued. */
  if (fifo_head != fifo_tail) nfq_set_verdict_batch(queue, fifo_id[(fifo_tail - 1) % FIFO_SIZE], NF_ACCEPT);
  nfq_destroy_queue(queue);
  nfq_close(handle);
  printf("{\"delay_us\":%llu,\"packets\":%llu,\"batches\":%llu,\"mean_late_us\":%.1f,"
         "\"worst_late_us\":%.1f,\"batches_late_over_1ms\":%llu,\"overflow\":%llu}\n",
         (unsigned long long)(delay_ns / 1000u), (unsigned long long)packets,
         (unsigned long long)batches, batches ? (double)late_sum_ns / 1e3 / (double)batches : 0.0,
         (double)late_max_ns / 1e3, (unsigned long long)late_over_1ms, (unsigned long long)overflow);
  return 0;
}
