# Convenience wrapper around meson (the real build). `make bench` prints the benchmark table.
BUILD ?= build
.PHONY: all test bench demo clean
all: $(BUILD)/build.ninja
	ninja -C $(BUILD)
$(BUILD)/build.ninja:
	meson setup $(BUILD)
test:
	./scripts/run-tests.sh
bench: all
	bench/run-all.sh $(BUILD)
demo:
	./scripts/demo.sh
clean:
	rm -rf $(BUILD) build-asan build-fuzz
