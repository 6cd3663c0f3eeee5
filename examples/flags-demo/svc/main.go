package main

import (
	"context"
	"fmt"

	"github.com/open-feature/go-sdk/openfeature"
	ld "github.com/launchdarkly/go-server-sdk/v7"
	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"

	"example.com/shop/svc/flags"
)

// @flag(go_fast_path, state=on)
// @flag(go_batch_writes, state=off)

func main() {
	ctx := context.Background()
	client := openfeature.NewClient("shop")
	ldClient, _ := ld.MakeClient("sdk-key", 0)
	user := ldcontext.New("user-1")

	newCheckout, _ := client.BooleanValue(ctx, "new_checkout", false, openfeature.EvaluationContext{})
	if newCheckout {
		fmt.Println("new checkout")
	}

	holiday, _ := ldClient.BoolVariation("holiday-theme", user, false)
	fmt.Println("holiday", holiday)

	if flags.Enabled("go_fast_path") {
		fmt.Println("fast path")
	}
	if flags.Enabled("go_batch_writes") {
		fmt.Println("batched")
	}
}
