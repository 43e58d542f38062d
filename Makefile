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
	ninja -C $(BUILD) bench
demo:
	./scripts/demo.sh
clean:
	rm -rf $(BUILD) build-asan build-fuzz
