// govmm_qmp_bench: the same QMP benchmark through Kata's govmm (Debian's
// golang-github-kata-containers-govmm-dev, built offline from /usr/share/gocode).
//
//	govmm_qmp_bench -socket S -mode serial|pipelined -n N
//	govmm_qmp_bench -socket S -mode hotplug -dir D -disks 16 [-bus-prefix rp -bus-first 1]
//
// Prints one JSON object like the other clients. govmm has no command ids: it writes one
// command, waits for its reply, then writes the next, so "pipelined" (N goroutines at once)
// shows its queue, not pipelining.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/kata-containers/govmm/qemu"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "govmm_qmp_bench: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	socket := flag.String("socket", "", "QMP socket")
	mode := flag.String("mode", "serial", "serial, pipelined or hotplug")
	n := flag.Int("n", 1000, "commands")
	dir := flag.String("dir", "", "directory of d<i>.img for hotplug")
	disks := flag.Int("disks", 16, "disks to hot-plug")
	busPrefix := flag.String("bus-prefix", "rp", "disk i goes on root port <bus-prefix><bus-first + i>")
	busFirst := flag.Int("bus-first", 1, "number of the first root port")
	flag.Parse()

	ctx := context.Background()
	events := make(chan qemu.QMPEvent, 1024)
	go func() {
		for range events {
		}
	}()
	disconnected := make(chan struct{})
	q, _, err := qemu.QMPStart(ctx, *socket, qemu.QMPConfig{EventCh: events, MaxCapacity: 1 << 20}, disconnected)
	if err != nil {
		fail("connect", err)
	}
	if err := q.ExecuteQMPCapabilities(ctx); err != nil {
		fail("qmp_capabilities", err)
	}

	result := map[string]interface{}{"client": "govmm", "mode": *mode}
	start := time.Now()
	switch *mode {
	case "serial":
		lat := make([]float64, *n)
		for i := 0; i < *n; i++ {
			t := time.Now()
			if _, err := q.ExecuteQueryStatus(ctx); err != nil {
				fail("query-status", err)
			}
			lat[i] = float64(time.Since(t).Nanoseconds()) / 1e3
		}
		sort.Float64s(lat)
		result["p50_us"] = lat[*n/2]
		result["p99_us"] = lat[*n*99/100]
		result["n"] = *n
	case "pipelined":
		var wg sync.WaitGroup
		for i := 0; i < *n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := q.ExecuteQueryStatus(ctx); err != nil {
					fail("query-status", err)
				}
			}()
		}
		wg.Wait()
		result["n"] = *n
	case "hotplug":
		for i := 0; i < *disks; i++ {
			node := fmt.Sprintf("d%d.fmt", i)
			file := fmt.Sprintf("%s/d%d.img", *dir, i)
			if err := q.ExecuteBlockdevAddWithDriverCache(ctx, "file", file, node, false, false, false); err != nil {
				fail("blockdev-add", err)
			}
			if err := q.ExecuteDeviceAdd(ctx, node, fmt.Sprintf("d%d", i), "virtio-blk-pci", fmt.Sprintf("%s%d", *busPrefix, *busFirst+i), "", false, false); err != nil {
				fail("device_add", err)
			}
		}
		result["n"] = 2 * *disks
	default:
		fail("mode", fmt.Errorf("unknown mode %q", *mode))
	}
	result["seconds"] = time.Since(start).Seconds()
	q.Shutdown()
	<-disconnected
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}
