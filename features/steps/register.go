package steps

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/cucumber/godog"
)

// stepDef is one step of the library: its pattern, the *World method that
// runs it and the one line docs/steps.md shows for it.
//
// fn is a method expression, (*World).name, whose method takes the step's
// context first and then godog's arguments (string, int, *godog.Table,
// *godog.DocString), and returns an error.
type stepDef struct {
	pattern string
	fn      any
	doc     string
	// starts marks the steps that start the scenario's emulator themselves;
	// every other step gets it started on first use with the configured
	// fixture.
	starts bool
}

// stepArea is one file's table of steps, a section of docs/steps.md.
type stepArea struct {
	title string
	steps []stepDef
}

// areas is every step of the library, in registration and documentation
// order. A new file of steps adds its table here.
var areas = []stepArea{
	{"Emulator and virtual clock", emulatorSteps},
	{"Accounts: a scenario's own account in a shared emulator", accountSteps},
	{"Conversations: customers, agents and the receiver", conversationSteps},
	{"Conversations webhooks: levels, pre-events, retries, timers", webhookSteps},
	{"TaskRouter: the last message's task, workers and reservations", taskSteps},
	{"TaskRouter: named tasks and routing", routingSteps},
	{"Flex: ending a chat", flexSteps},
	{"Flex: transfers", transferSteps},
	{"Flex: webchat", webchatSteps},
	{"Flex: configuration and interactions", flexConfigSteps},
	{"Agent desktop (twilio-taskrouter and @twilio/conversations in Node)", agentDesktopSteps},
	{"Studio flow authors", flowAuthorSteps},
	{"Fault injection", faultSteps},
}

// Register adds flexemu's steps and per-scenario lifecycle to sc, each
// scenario starting an in-process emulator from the default fixture. It is a
// godog ScenarioInitializer; Configure makes one with options.
func Register(sc *godog.ScenarioContext) { register(sc, config{}) }

// Configure returns a godog ScenarioInitializer like Register that applies
// opts (WithURL, WithFixture) to every scenario.
func Configure(opts ...Option) func(*godog.ScenarioContext) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return func(sc *godog.ScenarioContext) { register(sc, cfg) }
}

func register(sc *godog.ScenarioContext, cfg config) {
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, worldKey{}, newWorld(cfg, s)), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if w := FromContext(ctx); w != nil {
			w.end()
		}
		return ctx, nil
	})
	for _, a := range areas {
		for _, d := range a.steps {
			sc.Step(d.pattern, d.handler())
		}
	}
}

var (
	worldType   = reflect.TypeOf((*World)(nil))
	contextType = reflect.TypeOf((*context.Context)(nil)).Elem()
	errorType   = reflect.TypeOf((*error)(nil)).Elem()
)

// check reports what is wrong with d's method signature, for the table test
// and for handler.
func (d stepDef) check() error {
	t := reflect.TypeOf(d.fn)
	switch {
	case t == nil || t.Kind() != reflect.Func:
		return fmt.Errorf("step %s: fn is %v, want a method expression (*World).name", d.pattern, t)
	case t.NumIn() < 2 || t.In(0) != worldType || t.In(1) != contextType:
		return fmt.Errorf("step %s: fn is %v, want func(*World, context.Context, args...) error", d.pattern, t)
	case t.NumOut() != 1 || t.Out(0) != errorType:
		return fmt.Errorf("step %s: fn returns %v, want error", d.pattern, t)
	case d.doc == "":
		return fmt.Errorf("step %s has no doc line", d.pattern)
	}
	return nil
}

// handler turns d's method into the func(ctx, args...) error godog calls:
// it finds the scenario's World (starting its emulator unless the step
// does), then calls the method on it. godog reads the arguments' types from
// the returned function, so they are the method's.
func (d stepDef) handler() any {
	if err := d.check(); err != nil {
		panic("flexemu steps: " + err.Error()) // a broken table is a bug in this package; TestStepTable catches it
	}
	fn := reflect.ValueOf(d.fn)
	t := fn.Type()
	in := make([]reflect.Type, 0, t.NumIn()-1)
	for i := 1; i < t.NumIn(); i++ {
		in = append(in, t.In(i))
	}
	starts := d.starts
	return reflect.MakeFunc(reflect.FuncOf(in, []reflect.Type{errorType}, false), func(args []reflect.Value) []reflect.Value {
		ctx, _ := args[0].Interface().(context.Context)
		w := FromContext(ctx)
		var err error
		switch {
		case w == nil:
			err = errors.New("flexemu steps: no world in context; use steps.Register as the ScenarioInitializer")
		case !starts:
			err = w.ensure()
		}
		if err != nil {
			return []reflect.Value{reflect.ValueOf(&err).Elem()}
		}
		return fn.Call(append([]reflect.Value{reflect.ValueOf(w)}, args...))
	}).Interface()
}
