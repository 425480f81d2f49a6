# qemu-resilient: a patch queue on QEMU as Debian packages it.
#
#   make run     build, then boot the demo Linux guest to a shell
#   make check   build, then run every test; ends with 'N passed, N failed'
#   make check-integration   libvirt, stock-QEMU migration, cluster only
#   make check-guests        the guest-kernel tier (Debian's kernels) only
#   make check-kvm-amd       the KVM-AMD tier only: the fork's KVM cases on
#                            a real AMD KVM host nested under TCG
#   make check-sanitizers    the fork's tests built with ASan and UBSan,
#                            then a short run of each fuzz target
#   make fuzz FUZZ_SECONDS=N each of the fork's fuzz targets for N seconds
#   make docs                the documentation, warnings as errors
#
# See README.rst for the rest.

SHELL := /bin/bash
BUILD := build
QEMU_BUILD := $(BUILD)/qemu
VANILLA_BUILD := $(BUILD)/vanilla/qemu
SANITIZER_BUILD := $(BUILD)/sanitizers
FUZZ_SECONDS := 60
NINJA := ninja
# ccache: key objects by paths relative to the clone and not by its
# directory, so that a fresh clone elsewhere (CI's) reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

# Everything the fork's configure is a function of.
CONFIG_INPUTS := configure upstream.pin resilient-version

.PHONY: all build deps prepare run check check-upstream check-integration \
        check-storms check-guests check-kvm-amd check-sanitizers fuzz docs \
        check-series check-series-builds checkpatch bench demo vanilla export-patches clean distclean

all: build

deps:
	@scripts/install-build-deps.sh

prepare: deps
	@scripts/prepare-tree.sh

$(QEMU_BUILD)/build.ninja: $(CONFIG_INPUTS) | deps
	@scripts/prepare-tree.sh
	./configure
	@touch $@

# prepare-tree runs every time: it is a no-op when nothing changed, and it
# links overlay files added since the last build into the tree.
build: $(QEMU_BUILD)/build.ninja
	@scripts/prepare-tree.sh
	@$(NINJA) -C $(QEMU_BUILD)
	@scripts/link-firmware.sh $(QEMU_BUILD)

run: build
	@scripts/run-guest.sh

# A tour: an AMD guest's memory error recovered, the same guest panicking
# where the SMCA registers are as under stock KVM, a CPU fallback, a
# refused restore (tests/guest-linux/demo.py)
demo: build
	@/usr/bin/python3 tests/guest-linux/demo.py

# The integration tests migrate between the fork and vanilla: both builds;
# the sanitizer suite and the short fuzz need build/sanitizers configured
# (check.py builds what they run).
check: build vanilla $(SANITIZER_BUILD)/build.ninja
	@scripts/check.py

check-upstream: build vanilla
	@scripts/check.py --upstream-full

check-integration: build vanilla
	@scripts/check.py --integration

check-storms: build vanilla
	@scripts/check.py --storms

check-guests: build vanilla
	@scripts/check.py --guests

check-kvm-amd: build
	@scripts/check.py --kvm-amd

# clang with ASan, UBSan and libFuzzer: one build for both targets below.
$(SANITIZER_BUILD)/build.ninja: $(CONFIG_INPUTS) | deps
	./configure --sanitizers
	@touch $@

check-sanitizers: build $(SANITIZER_BUILD)/build.ninja
	@scripts/prepare-tree.sh
	@scripts/check.py --sanitizers

# The fuzz targets' machines need firmware: link-firmware.sh puts it in
# the data directory of the build's qemu-system-x86_64, which the fuzzer
# shares.
fuzz: build $(SANITIZER_BUILD)/build.ninja
	@scripts/prepare-tree.sh
	@$(NINJA) -C $(SANITIZER_BUILD) qemu-fuzz-x86_64 qemu-system-x86_64
	@scripts/link-firmware.sh $(SANITIZER_BUILD)
	@scripts/fuzz.py --seconds $(FUZZ_SECONDS)

docs: prepare
	@scripts/build-docs.sh

check-series: prepare
	@scripts/check-series.sh

# Every prefix of the series builds (about 1-3 minutes a patch, warm ccache).
check-series-builds: prepare
	@scripts/check-series-builds.sh

checkpatch: prepare
	@scripts/checkpatch.sh

$(VANILLA_BUILD)/build.ninja: $(CONFIG_INPUTS) | deps
	./configure --vanilla
	@touch $@

vanilla: $(VANILLA_BUILD)/build.ninja
	@$(NINJA) -C $(VANILLA_BUILD) qemu-system-x86_64
	@scripts/link-firmware.sh $(VANILLA_BUILD)

bench: build vanilla
	@scripts/bench.py

export-patches:
	@scripts/export-patches.sh

clean:
	@[ ! -f $(QEMU_BUILD)/build.ninja ] || $(NINJA) -C $(QEMU_BUILD) clean
	@[ ! -f $(VANILLA_BUILD)/build.ninja ] || $(NINJA) -C $(VANILLA_BUILD) clean
	@[ ! -f $(SANITIZER_BUILD)/build.ninja ] || $(NINJA) -C $(SANITIZER_BUILD) clean

# Keeps the download cache (outside the clone).
distclean:
	rm -rf $(BUILD)
